import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createConnection,
  createMessageConnection,
  type CodeAction,
  type Diagnostic,
  type FullDocumentDiagnosticReport,
  type Hover,
  type MessageConnection,
} from 'vscode-languageserver/node.js';
import { createFoxServer } from '../../src/index.js';
import { taskFixProject } from '../analysis/task-fix-project.js';

/** Nested loops: enough CPU evidence for FOX001. */
const BODY = `  let acc = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < rows.length; j++) {
      for (const v of rows[i]!) acc = (acc * 31 + v * j) | 0;
    }
  }
  return acc;`;

const LIB = `export function score(rows: number[][]): number {
${BODY}
}

export function rank(rows: number[][]): number {
${BODY}
}
`;

const FILES = {
  'lib.ts': LIB,
  'handler.ts': `import { score } from './lib.js';

export async function handle(rows: number[][]): Promise<string> {
  return score(rows).toFixed(2);
}
`,
  'report.ts': `import { rank } from './lib.js';

export function report(rows: number[][]): number {
  return rank(rows) + 1;
}
`,
};

const LIB_URI = 'file:///proj/src/lib.ts';
const HANDLER_URI = 'file:///proj/src/handler.ts';

/** A server over an in-memory connection, initialized with `capabilities`, lib.ts open. */
async function openSession(capabilities: object): Promise<Session> {
  const messages: string[] = [];
  const up = new PassThrough();
  const down = new PassThrough();
  const server = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const fox = createFoxServer(server, {
    liveStats: { forTask: () => undefined },
    debounceMs: 10,
    createAnalyzer: () => taskFixProject(FILES),
  });
  server.listen();
  const client = createMessageConnection(
    new StreamMessageReader(down),
    new StreamMessageWriter(up),
  );
  // showWarningMessage is a request (it could carry actions), showMessage a notification.
  client.onRequest('window/showMessageRequest', (p: { message: string }) => {
    messages.push(p.message);
    return null;
  });
  client.onNotification('window/showMessage', (p: { message: string }) => {
    messages.push(p.message);
  });
  client.onRequest('workspace/diagnostic/refresh', () => null);
  client.listen();
  const init = (await client.sendRequest('initialize', {
    processId: null,
    rootUri: 'file:///proj',
    capabilities,
  })) as { capabilities: { codeActionProvider?: { resolveProvider?: boolean } } };
  await client.sendNotification('initialized', {});
  await client.sendNotification('textDocument/didOpen', {
    textDocument: { uri: LIB_URI, languageId: 'typescript', version: 1, text: LIB },
  });
  return {
    client,
    messages,
    resolveProvider: init.capabilities.codeActionProvider?.resolveProvider,
    close() {
      fox.dispose();
      client.dispose();
      server.dispose();
      up.end();
      down.end();
    },
  };
}

interface Session {
  client: MessageConnection;
  messages: string[];
  resolveProvider: boolean | undefined;
  close(): void;
}

/** The FOX001 diagnostic on `line` of lib.ts. */
async function fox001At(client: MessageConnection, line: number): Promise<Diagnostic> {
  const report = (await client.sendRequest('textDocument/diagnostic', {
    textDocument: { uri: LIB_URI },
  })) as FullDocumentDiagnosticReport;
  const d = report.items.find((i) => i.code === 'FOX001' && i.range.start.line === line);
  assert.ok(d, JSON.stringify(report.items));
  return d;
}

/** The code actions at a diagnostic of lib.ts. */
async function actionsAt(client: MessageConnection, d: Diagnostic): Promise<CodeAction[]> {
  return (await client.sendRequest('textDocument/codeAction', {
    textDocument: { uri: LIB_URI },
    range: d.range,
    context: { diagnostics: [d] },
  })) as CodeAction[];
}

describe('language server: task fixes resolved when picked', function () {
  this.timeout(60_000);
  let session: Session;
  before(async () => {
    session = await openSession({
      textDocument: { codeAction: { resolveSupport: { properties: ['edit'] } } },
    });
  });
  after(() => session.close());

  const fox001 = (line: number): Promise<Diagnostic> => fox001At(session.client, line);
  const taskAction = async (d: Diagnostic): Promise<CodeAction> => {
    const actions = await actionsAt(session.client, d);
    const action = actions.find((a) => a.title.startsWith('Run as tfox'));
    assert.ok(action, JSON.stringify(actions));
    return action;
  };

  it('advertises codeAction/resolve and leaves task fixes unresolved until picked', async () => {
    assert.equal(session.resolveProvider, true);
    const d = await fox001(0);
    const action = await taskAction(d);
    assert.equal(action.edit, undefined, 'the caller search waits for the user to pick the fix');
    assert.ok(action.data);
  });

  it('resolves the fix into a WorkspaceEdit that awaits the caller in another file', async () => {
    const action = await taskAction(await fox001(0));
    const resolved = (await session.client.sendRequest('codeAction/resolve', action)) as CodeAction;
    const changes = resolved.edit?.changes ?? {};
    assert.deepEqual(Object.keys(changes).sort(), [HANDLER_URI, LIB_URI]);
    assert.deepEqual(
      changes[HANDLER_URI]!.map((e) => e.newText),
      ['(await ', ')'],
      'score(rows).toFixed(2) becomes (await score(rows)).toFixed(2)',
    );
    assert.ok(changes[LIB_URI]!.some((e) => /export const score = fox\(/.test(e.newText)));
  });

  it('declines a fix whose caller is synchronous, says why, and shows it in the hover', async () => {
    const d = await fox001(10);
    const action = await taskAction(d);
    const resolved = (await session.client.sendRequest('codeAction/resolve', action)) as CodeAction;
    assert.equal(resolved.edit, undefined);
    assert.match(session.messages.at(-1) ?? '', /synchronous 'report'.*src\/report\.ts:4/);
    const hover = (await session.client.sendRequest('textDocument/hover', {
      textDocument: { uri: LIB_URI },
      position: d.range.start,
    })) as Hover;
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /Quick fix unavailable: .*synchronous 'report'/);
  });
});

describe('language server: task fixes for a client without codeAction/resolve', function () {
  this.timeout(60_000);
  let session: Session;
  before(async () => {
    session = await openSession({});
  });
  after(() => session.close());

  it('gets the resolved WorkspaceEdit at once, and no action for a fix that is unsafe', async () => {
    const safe = await actionsAt(session.client, await fox001At(session.client, 0));
    const action = safe.find((a) => a.title.startsWith('Run as tfox'));
    assert.deepEqual(Object.keys(action?.edit?.changes ?? {}).sort(), [HANDLER_URI, LIB_URI]);
    const unsafe = await actionsAt(session.client, await fox001At(session.client, 10));
    assert.equal(
      unsafe.find((a) => a.title.startsWith('Run as tfox')),
      undefined,
    );
  });
});
