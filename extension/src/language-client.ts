import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node.js';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node.js';

/**
 * Starts the bundled Fox language server (`dist/server.cjs`) over node IPC. All analysis lives
 * in the server; the client only routes TypeScript/JavaScript files to it.
 */
export function createLanguageClient(context: vscode.ExtensionContext): LanguageClient {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.cjs').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'].map(
      (language) => ({ scheme: 'file', language }),
    ),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{fox.config.json,package.json}'),
    },
  };
  return new LanguageClient('fox', 'Fox Language Server', serverOptions, clientOptions);
}
