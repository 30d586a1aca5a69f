import { strict as assert } from 'node:assert';
import {
  type CodeAction,
  type CodeLens,
  type Diagnostic,
  type FullDocumentDiagnosticReport,
  type Hover,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node.js';
import { FoxAnalyzer, applyEdits, type LiveStats } from '../../src/index.js';
import { startSession, type LspSession } from './support/session.js';

const URI = 'file:///proj/src/app.ts';
const SOURCE = `import { fox } from '@fox/sdk';

export function checksum(rows: number[][]): number {
  let h = 0;
  for (const r of rows) {
    for (const v of r) h = (h * 31 + v) | 0;
  }
  return h;
}

export async function getUser(id: string): Promise<unknown> {
  const res = await fetch(\`https://api.example.com/users/\${id}\`);
  return res.json();
}

export const render = fox({ mode: 'wfox', timeout: 500, fallback: () => '' }, async function render(name: string) {
  return \`<h1>\${name}</h1>\`;
});

export const digest = fox({ mode: 'tfox' }, async function digest(data: string, done: () => void) {
  done();
  return data.length;
});

export async function names(ids: string[], lookup: (id: string) => Promise<string>) {
  const out: string[] = [];
  for (const id of ids) out.push(await lookup(id));
  return out;
}
`;

const live: LiveStats = {
  forTask: (id) =>
    id === 'src/app.ts#render' ? { p50: 1.2, p99: 14, calls: 1520, errors: 3 } : undefined,
};

interface Harness extends LspSession {
  applied: WorkspaceEdit[];
}

function start(): Harness {
  const applied: WorkspaceEdit[] = [];
  const session = startSession(
    {
      liveStats: live,
      debounceMs: 10,
      createAnalyzer: () => FoxAnalyzer.inMemory({ '/proj/package.json': '{ "name": "proj" }' }),
    },
    (client) =>
      client.onRequest('workspace/applyEdit', (p: { edit: WorkspaceEdit }) => {
        applied.push(p.edit);
        return { applied: true };
      }),
  );
  return { ...session, applied };
}

describe('language server over an in-memory connection', function () {
  this.timeout(60_000);
  let h: Harness;
  before(() => {
    h = start();
  });
  after(() => h.close());

  const pull = async (): Promise<Diagnostic[]> => {
    const report = (await h.client.sendRequest('textDocument/diagnostic', {
      textDocument: { uri: URI },
    })) as FullDocumentDiagnosticReport;
    assert.equal(report.kind, 'full');
    return report.items;
  };
  const codes = (ds: Diagnostic[]): string[] =>
    ds.map((d) => `${String(d.code)}@${d.range.start.line + 1}`).sort();
  let text = SOURCE;
  let version = 1;

  it('initializes with pull diagnostics, hover, code lens and code actions', async () => {
    const result = (await h.client.sendRequest('initialize', {
      processId: null,
      rootUri: 'file:///proj',
      capabilities: { workspace: { diagnostics: { refreshSupport: true } } },
    })) as { capabilities: Record<string, unknown> };
    assert.ok(result.capabilities.diagnosticProvider);
    assert.equal(result.capabilities.hoverProvider, true);
    assert.ok(result.capabilities.codeLensProvider);
    assert.ok(result.capabilities.codeActionProvider);
    await h.client.sendNotification('initialized', {});
  });

  it('reports syntax findings at once and type-aware ones after the debounce (refresh + re-pull)', async () => {
    const refreshed = h.refreshes('workspace/diagnostic/refresh');
    await h.client.sendNotification('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'typescript', version, text },
    });
    const first = codes(await pull());
    assert.ok(first.includes('FOX001@3'), first.join());
    assert.ok(first.includes('FOX002@12'), first.join());
    await refreshed;
    const all = await pull();
    assert.ok(codes(all).includes('FOX006@20'), codes(all).join());
    const fox006 = all.find((d) => d.code === 'FOX006');
    assert.equal(fox006?.severity, 1);
    assert.match(fox006?.message ?? '', /parameter 'done' is a function/);
  });

  it('maps confidence to severity: certain findings warn, likely and possible ones are hints', async () => {
    const all = await pull();
    const at = (code: string): Diagnostic | undefined =>
      all.find((d) => `${String(d.code)}@${d.range.start.line + 1}` === code);
    const severityAndConfidence = (d: Diagnostic | undefined): unknown[] => [
      d?.severity,
      (d?.data as { confidence?: string } | undefined)?.confidence,
    ];
    // FOX004 guesses the iterations are independent: likely, so a hint (4), not a squiggle.
    assert.deepEqual(severityAndConfidence(at('FOX004@27')), [4, 'likely']);
    // One nested loop just meets the CPU threshold: possible.
    assert.deepEqual(severityAndConfidence(at('FOX001@3')), [4, 'possible']);
    // A fetch with no timeout is a fact: certain, so the rule's warning (2).
    assert.deepEqual(severityAndConfidence(at('FOX002@12')), [2, 'certain']);
  });

  it('hovers with the classification, its evidence and live numbers', async () => {
    const cpu = (await h.client.sendRequest('textDocument/hover', {
      textDocument: { uri: URI },
      position: { line: 2, character: 18 },
    })) as Hover;
    const value = (cpu.contents as { value: string }).value;
    assert.match(value, /src\/app\.ts#checksum/);
    assert.match(value, /CPU-bound work → recommended \*\*tfox\*\*/);
    assert.match(value, /nested loops over input/);
    const task = (await h.client.sendRequest('textDocument/hover', {
      textDocument: { uri: URI },
      position: { line: 15, character: 15 },
    })) as Hover;
    assert.match(
      (task.contents as { value: string }).value,
      /Live: p50 1\.2 ms · p99 14 ms · 1\.5k calls · 3 errors/,
    );
  });

  it('puts code lenses above tasks (live numbers or no data yet) and "Run as tfox" above CPU work', async () => {
    const lenses = (await h.client.sendRequest('textDocument/codeLens', {
      textDocument: { uri: URI },
    })) as CodeLens[];
    const titles = lenses.map((l) => `${l.range.start.line + 1}: ${l.command?.title}`);
    assert.deepEqual(titles, [
      '3: Run as tfox',
      '16: fox wfox · p50 1.2 ms · p99 14 ms · 1.5k calls · 3 errors',
      '20: fox tfox · no data yet',
    ]);
  });

  it('returns quick fixes as text edits; applying one clears the finding on re-pull', async () => {
    const diagnostics = await pull();
    const fox002 = diagnostics.find((d) => d.code === 'FOX002')!;
    const actions = (await h.client.sendRequest('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: fox002.range,
      context: { diagnostics: [fox002] },
    })) as CodeAction[];
    const action = actions.find((a) => a.title.includes('FOX002'));
    assert.ok(action?.edit?.changes?.[URI], JSON.stringify(actions));
    const edits: TextEdit[] = action.edit.changes[URI];
    assert.equal(edits.length, 1, 'minimal edit, not a whole-file rewrite');
    text = applyEdits(text, edits);
    assert.match(
      text,
      /fetch\(`https:\/\/api\.example\.com\/users\/\$\{id\}`, \{ signal: AbortSignal\.timeout\(5000\) \}\)/,
    );
    version++;
    const refreshed = h.refreshes('workspace/diagnostic/refresh');
    await h.client.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version },
      contentChanges: [{ text }],
    });
    assert.ok(!codes(await pull()).some((c) => c.startsWith('FOX002')));
    await refreshed;
    assert.ok(codes(await pull()).includes('FOX006@20'));
  });

  it('answers "unchanged" for a result id that is still current', async () => {
    const first = (await h.client.sendRequest('textDocument/diagnostic', {
      textDocument: { uri: URI },
    })) as {
      resultId: string;
    };
    const again = (await h.client.sendRequest('textDocument/diagnostic', {
      textDocument: { uri: URI },
      previousResultId: first.resultId,
    })) as { kind: string };
    assert.equal(again.kind, 'unchanged');
  });

  it('runs "Run as tfox" through workspace/applyEdit', async () => {
    const lens = (
      (await h.client.sendRequest('textDocument/codeLens', {
        textDocument: { uri: URI },
      })) as CodeLens[]
    ).find((l) => l.command?.title === 'Run as tfox')!;
    const ok = await h.client.sendRequest('workspace/executeCommand', {
      command: lens.command!.command,
      arguments: lens.command!.arguments,
    });
    assert.equal(ok, true);
    const edit = h.applied.at(-1)!;
    const next = applyEdits(text, edit.changes![URI]!);
    assert.match(next, /export const checksum = fox\(\{ mode: 'tfox' \}, function checksum\(/);
  });

  it('shuts down', async () => {
    await h.client.sendRequest('shutdown');
  });
});

describe('language server with a bad fox.config.json', () => {
  it('shows the config error once and reports no diagnostics instead of failing requests', async () => {
    const messages: string[] = [];
    const { client, close } = startSession(
      {
        debounceMs: 10,
        createAnalyzer: () =>
          FoxAnalyzer.inMemory({
            '/proj/package.json': '{}',
            '/proj/fox.config.json': '{ "rules": { "FOX002": "loud" } }',
          }),
      },
      (c) =>
        c.onRequest('window/showMessageRequest', (p: { message: string }) => {
          messages.push(p.message);
          return null;
        }),
    );
    try {
      await client.sendRequest('initialize', {
        processId: null,
        rootUri: 'file:///proj',
        capabilities: {},
      });
      await client.sendNotification('textDocument/didOpen', {
        textDocument: { uri: URI, languageId: 'typescript', version: 1, text: SOURCE },
      });
      for (let i = 0; i < 2; i++) {
        const report = (await client.sendRequest('textDocument/diagnostic', {
          textDocument: { uri: URI },
        })) as FullDocumentDiagnosticReport;
        assert.deepEqual(report.items, []);
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(messages.length, 1);
      assert.match(messages[0]!, /Invalid Fox analysis config.*\n.*rules\.FOX002/);
    } finally {
      close();
    }
  });
});
