import { ProposedFeatures, createConnection } from 'vscode-languageserver/node.js';
import { createFoxServer, type FoxServerOptions } from './fox-server.js';

/**
 * Starts the Fox language server on the transport given on the command line (`--stdio`,
 * `--node-ipc` or `--socket=N`, as vscode-languageclient passes them).
 */
export function startServer(options: FoxServerOptions = {}): void {
  const connection = createConnection(ProposedFeatures.all);
  createFoxServer(connection, options);
  connection.listen();
}
