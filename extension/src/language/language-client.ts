import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind } from 'vscode-languageclient/node.js';
import type {
  LanguageClientOptions,
  NodeModule,
  ServerOptions,
} from 'vscode-languageclient/node.js';
import { nodePathWith, workspaceModuleDirs } from './workspace-modules.js';

/**
 * Starts the bundled Fox language server (`dist/server.cjs`) over node IPC. All analysis lives
 * in the server; the client only routes TypeScript/JavaScript files to it.
 *
 * Live numbers reach the server from the extension's profiler (`fox/liveStats`, see
 * live-stats-forwarder.ts). For past runs it reads `.fox/fox.db` with `better-sqlite3`, found
 * through the workspace's own `@fox/sdk` on `NODE_PATH`. That module is built for the Node the
 * project runs on; `fox.languageServer.runtime` runs the server on that Node when VS Code's own
 * runtime (Electron) cannot load it — without it only live numbers show.
 */
export function createLanguageClient(
  context: vscode.ExtensionContext,
  runtime: string | undefined,
): LanguageClient {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.cjs').fsPath;
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const env = { NODE_PATH: nodePathWith(workspaceModuleDirs(folders), process.env['NODE_PATH']) };
  const server = (execArgv: string[]): NodeModule => ({
    module,
    transport: TransportKind.ipc,
    ...(runtime ? { runtime } : {}),
    options: { env, execArgv },
  });
  const serverOptions: ServerOptions = {
    run: server([]),
    debug: server(['--inspect=6019']),
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'].map(
      (language) => ({ scheme: 'file', language }),
    ),
    // Hovers link to the profiler panel and the task's source: trust those commands only.
    markdown: { isTrusted: { enabledCommands: ['fox.openTaskInProfiler', 'fox.showTask'] } },
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{fox.config.json,package.json}'),
    },
  };
  return new LanguageClient('fox', 'Fox Language Server', serverOptions, clientOptions);
}

/** Reports each state the server enters, in words (the Fox output channel shows them). */
export function watchServerState(
  client: LanguageClient,
  report: (state: 'starting' | 'running' | 'stopped') => void,
): vscode.Disposable {
  return client.onDidChangeState(({ newState }) =>
    report(
      newState === State.Running ? 'running' : newState === State.Starting ? 'starting' : 'stopped',
    ),
  );
}
