import { PassThrough } from 'node:stream';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createConnection,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-languageserver/node.js';
import { createFoxServer, type FoxServerOptions } from '../../../src/index.js';

/** The refresh requests a Fox server sends its client. */
export type RefreshMethod = 'workspace/diagnostic/refresh' | 'workspace/codeLens/refresh';

export interface LspSession {
  client: MessageConnection;
  /** Resolves at the server's next `method` request. */
  refreshes(method: RefreshMethod): Promise<void>;
  close(): void;
}

/**
 * A Fox language server and a client over an in-memory connection, both listening. The client
 * answers the server's refresh requests (see {@link LspSession.refreshes}); `onClient` adds
 * handlers before it listens.
 */
export function startSession(
  options: FoxServerOptions,
  onClient?: (client: MessageConnection) => void,
): LspSession {
  const up = new PassThrough();
  const down = new PassThrough();
  // Reader/writer objects, not raw streams: with streams the library exits the process on 'end'.
  const server = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const fox = createFoxServer(server, options);
  server.listen();
  const client = createMessageConnection(
    new StreamMessageReader(down),
    new StreamMessageWriter(up),
  );
  const waiters = new Map<RefreshMethod, (() => void)[]>();
  for (const method of ['workspace/diagnostic/refresh', 'workspace/codeLens/refresh'] as const) {
    client.onRequest(method, () => {
      const w = waiters.get(method) ?? [];
      waiters.delete(method);
      for (const resolve of w) resolve();
      return null;
    });
  }
  onClient?.(client);
  client.listen();
  return {
    client,
    refreshes: (method) =>
      new Promise<void>((resolve) =>
        waiters.set(method, [...(waiters.get(method) ?? []), resolve]),
      ),
    close() {
      fox.dispose();
      client.dispose();
      server.dispose();
      up.end();
      down.end();
    },
  };
}

/**
 * {@link startSession}, then `initialize` with `capabilities` (rooted at file:///proj),
 * `initialized` and, with `open`, `didOpen` of that TypeScript document. Returns the session
 * and the initialize result.
 */
export async function openSession(
  options: FoxServerOptions,
  init: {
    capabilities: object;
    open?: { uri: string; text: string };
    onClient?: (client: MessageConnection) => void;
  },
): Promise<LspSession & { initialized: unknown }> {
  const session = startSession(options, init.onClient);
  const { client } = session;
  const initialized: unknown = await client.sendRequest('initialize', {
    processId: null,
    rootUri: 'file:///proj',
    capabilities: init.capabilities,
  });
  await client.sendNotification('initialized', {});
  if (init.open) {
    await client.sendNotification('textDocument/didOpen', {
      textDocument: {
        uri: init.open.uri,
        languageId: 'typescript',
        version: 1,
        text: init.open.text,
      },
    });
  }
  return { ...session, initialized };
}
