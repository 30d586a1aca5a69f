import { strict as assert } from 'node:assert';
import {
  type CodeAction,
  type Diagnostic,
  type FullDocumentDiagnosticReport,
  type Hover,
  type MessageConnection,
} from 'vscode-languageserver/node.js';
import { HEAVY_LINES, indentLines, taskFixProject } from '../analysis/task-fix-project.js';
import { openSession } from './support/session.js';

/** Nested loops: enough CPU evidence for FOX001. */
const BODY = indentLines([...HEAVY_LINES, 'return acc;'], '  ', 1);

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
async function openTaskFixSession(capabilities: object): Promise<Session> {
  const messages: string[] = [];
  const session = await openSession(
    {
      liveStats: { forTask: () => undefined },
      debounceMs: 10,
      createAnalyzer: () => taskFixProject(FILES),
    },
    {
      capabilities,
      open: { uri: LIB_URI, text: LIB },
      onClient: (client) => {
        // showWarningMessage is a request (it could carry actions), showMessage a notification.
        client.onRequest('window/showMessageRequest', (p: { message: string }) => {
          messages.push(p.message);
          return null;
        });
        client.onNotification('window/showMessage', (p: { message: string }) => {
          messages.push(p.message);
        });
      },
    },
  );
  const init = session.initialized as {
    capabilities: { codeActionProvider?: { resolveProvider?: boolean } };
  };
  return {
    client: session.client,
    messages,
    resolveProvider: init.capabilities.codeActionProvider?.resolveProvider,
    close: session.close,
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
    session = await openTaskFixSession({
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
    session = await openTaskFixSession({});
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
