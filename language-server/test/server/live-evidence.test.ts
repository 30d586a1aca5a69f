import { strict as assert } from 'node:assert';
import {
  type CodeAction,
  type CodeLens,
  type Diagnostic,
  type FullDocumentDiagnosticReport,
  type Hover,
  type MarkupContent,
  type TextEdit,
} from 'vscode-languageserver/node.js';
import { FoxAnalyzer, NO_LIVE_STATS, applyEdits } from '../../src/index.js';
import {
  LIVE_STATS_METHOD,
  type LiveStatsParams,
} from '../../src/runtime-evidence/live-stats-protocol.js';
import { openSession, type LspSession } from './support/session.js';

const URI = 'file:///proj/src/app.ts';
const SOURCE = `import { fox } from '@fox/sdk';

export const checksum = fox({ mode: 'wfox' }, async function checksum(rows: number[][]) {
  let h = 0;
  for (const r of rows) {
    for (const v of r) h = (h * 31 + v) | 0;
  }
  return h;
});

export const getUser = fox({ mode: 'wfox' }, async function getUser(id: string) {
  const res = await fetch(\`https://api.example.com/users/\${id}\`);
  return res.json();
});

export const render = fox({ mode: 'wfox', timeout: '2s' }, async function render(name: string) {
  return \`<h1>\${name}</h1>\`;
});

export function mix(rows: number[][]): number {
  let h = 0;
  for (const r of rows) {
    for (const v of r) h = (h * 31 + v) | 0;
  }
  return h;
}
`;

/** Epoch times as a real client sends them (a bound meant for durations once refused these). */
const T0 = Date.UTC(2026, 11, 7, 16, 40);

const PUSH: LiveStatsParams = {
  v: 1,
  at: T0 + 60_000,
  source: { label: 'live from the debug session', runId: '01JRUN' },
  tasks: [
    {
      id: 'src/app.ts#checksum',
      mode: 'wfox',
      current: 'wfox',
      p50: 38,
      p99: 52,
      calls: 1204,
      errors: 0,
      window: { from: T0, to: T0 + 60_000 },
    },
    {
      id: 'src/app.ts#getUser',
      mode: 'wfox',
      current: 'wfox',
      p50: 40,
      p99: 2100,
      calls: 980,
      errors: 0,
      window: { from: T0, to: T0 + 60_000 },
    },
    {
      id: 'src/app.ts#render',
      mode: 'wfox',
      current: 'wfox',
      p50: 0.4,
      p99: 1,
      calls: 300,
      errors: 0,
      window: { from: T0, to: T0 + 60_000 },
      running: {
        timeoutMs: 1500,
        approval: { summary: 'tuner: timeout 2s → 1.5s', auditId: '01JAUDIT', at: T0 + 50_000 },
      },
    },
  ],
  // CPU samples in `mix` (not a task, declared on line 20): line 21 is inside its body.
  functions: [
    {
      file: 'src/app.ts',
      line: 21,
      column: 5,
      name: 'mix',
      selfMs: 420,
      totalMs: 430,
      samples: 430,
      longestSyncMs: 42,
    },
  ],
};

describe('language server fed by fox/liveStats (no store)', function () {
  this.timeout(60_000);
  let h: LspSession;
  before(async () => {
    h = await openSession(
      {
        liveStats: NO_LIVE_STATS,
        debounceMs: 10,
        liveRefreshMs: 50,
        createAnalyzer: () => FoxAnalyzer.inMemory({ '/proj/package.json': '{ "name": "proj" }' }),
      },
      {
        capabilities: {
          workspace: { diagnostics: { refreshSupport: true }, codeLens: { refreshSupport: true } },
        },
        open: { uri: URI, text: SOURCE },
      },
    );
  });
  after(() => h.close());

  const lenses = async (): Promise<string[]> =>
    (
      (await h.client.sendRequest('textDocument/codeLens', {
        textDocument: { uri: URI },
      })) as CodeLens[]
    ).map((l) => l.command?.title ?? '');
  const hover = async (line: number, character: number): Promise<string> =>
    (
      (await h.client.sendRequest('textDocument/hover', {
        textDocument: { uri: URI },
        position: { line, character },
      })) as Hover & { contents: MarkupContent }
    ).contents.value;
  const diagnostics = async (): Promise<Diagnostic[]> =>
    (
      (await h.client.sendRequest('textDocument/diagnostic', {
        textDocument: { uri: URI },
      })) as FullDocumentDiagnosticReport
    ).items;

  it('says "no data yet" before any push', async () => {
    const titles = await lenses();
    assert.ok(
      titles.some((t) => t === 'fox wfox · no data yet'),
      titles.join(' | '),
    );
    const fox001 = (await diagnostics()).find((d) => d.code === 'FOX001');
    assert.ok(fox001, 'the static FOX001');
    assert.doesNotMatch(fox001.message, /measured|holds the event loop/);
  });

  it('a push refreshes the code lenses within the latency budget and they show the numbers', async () => {
    const refreshed = h.refreshes('workspace/codeLens/refresh');
    const sent = Date.now();
    await h.client.sendNotification(LIVE_STATS_METHOD, PUSH);
    await refreshed;
    const titles = await lenses();
    const latency = Date.now() - sent;
    assert.ok(latency < 5000, `${latency} ms`);
    assert.ok(
      titles.includes('fox wfox · p50 38 ms · p99 52 ms · 1.2k calls · 0 errors'),
      titles.join(' | '),
    );
    assert.ok(titles.includes('running: timeout 1.5s (source: timeout 2s)'), titles.join(' | '));
  });

  it('confirms the static FOX001 with the measured numbers and adds runtime findings', async () => {
    const ds = await diagnostics();
    const fox001 = ds.find((d) => d.code === 'FOX001');
    assert.equal(fox001?.severity, 2, 'a warning');
    assert.match(
      fox001?.message ?? '',
      /holds the event loop 38 ms per call, p50 over 1,204 calls in the last run \(live from the debug session\)/,
    );
    const fox101 = ds.find((d) => d.code === 'FOX101');
    assert.match(fox101?.message ?? '', /'getUser' has no timeout.*Add timeout '3\.2s'/);
    const fox106 = ds.find((d) => d.code === 'FOX106');
    assert.equal(fox106?.severity, 4, 'a hint');
  });

  it('confirms FOX001 on a function that is not a task from sampled CPU', async () => {
    const mix = (await diagnostics()).find((d) => d.code === 'FOX001' && d.range.start.line === 19);
    assert.match(
      mix?.message ?? '',
      /'mix' holds the event loop 42 ms at a time \(longest synchronous run over 430 CPU samples, live from the debug session\)/,
    );
    assert.equal(mix?.severity, 2);
  });

  it('hovers with the evidence, its run and a link to the profiler', async () => {
    const text = await hover(2, 15);
    assert.match(text, /Measured \(live from the debug session\): p50 38 ms/);
    assert.match(text, /run `01JRUN`/);
    assert.match(text, /\*\*FOX001\*\* — confirmed/);
    assert.match(text, /\(command:fox\.openTaskInProfiler\?/);
    const render = await hover(15, 15);
    assert.match(render, /approved: tuner: timeout 2s → 1\.5s \(audit entry `01JAUDIT`\)/);
  });

  it('offers fixes that write measured and running values into the fox() options', async () => {
    const actionsAt = async (line: number): Promise<CodeAction[]> =>
      (await h.client.sendRequest('textDocument/codeAction', {
        textDocument: { uri: URI },
        range: { start: { line, character: 0 }, end: { line, character: 80 } },
        context: { diagnostics: [] },
      })) as CodeAction[];
    const apply = (a: CodeAction | undefined): string => {
      const edits = a?.edit?.changes?.[URI] as TextEdit[] | undefined;
      assert.ok(edits, 'edits for the file');
      return applyEdits(SOURCE, edits);
    };
    const timeout = (await actionsAt(10)).find((a) => a.title.includes('(FOX101)'));
    assert.match(
      apply(timeout),
      /fox\(\{ mode: 'wfox', timeout: '3\.2s' \}, async function getUser/,
    );
    const running = (await actionsAt(15)).find((a) => a.title.includes('(FOX106)'));
    assert.match(
      apply(running),
      /fox\(\{ mode: 'wfox', timeout: '1\.5s' \}, async function render/,
    );
  });

  it('ignores a push of another version', async () => {
    await h.client.sendNotification(LIVE_STATS_METHOD, { ...PUSH, v: 2, tasks: [] });
    const titles = await lenses();
    assert.ok(
      titles.some((t) => t.startsWith('fox wfox · p50 38 ms')),
      titles.join(' | '),
    );
  });
});
