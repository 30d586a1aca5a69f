import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FlowRunFrame } from '@fox/sdk/protocol';
import {
  startProfiler,
  type FlowRunSummary,
  type FlowRunView,
  type Profiler,
} from '../src/index.js';
import { FakeExporter } from './fake-exporter.js';
import { tempDir, until } from './helpers.js';

/** A diamond run a → (b, c) → d, started `t0` ms; `status` of the run. */
function run(runId: string, t0: number, status: 'running' | 'ok' = 'ok'): FlowRunFrame {
  const done = status === 'ok';
  const node = (name: string, needs: string[], from: number, to: number) =>
    done
      ? { name, needs, status: 'ok' as const, start: t0 + from, end: t0 + to }
      : { name, needs, status: 'pending' as const };
  return {
    type: 'flow-run',
    v: 1,
    runId,
    flow: 'diamond',
    parentRunId: null,
    status,
    start: t0,
    ...(done ? { end: t0 + 40 } : {}),
    nodes: [
      node('a', [], 0, 10),
      node('b', ['a'], 10, 30),
      node('c', ['a'], 10, 15),
      node('d', ['b', 'c'], 30, 40),
    ],
    omitted: 0,
    criticalPath: done ? ['a', 'b', 'd'] : [],
  };
}

async function getJson<T>(p: Profiler, path: string): Promise<{ status: number; body: T }> {
  const url = new URL(path, p.uiUrl);
  url.searchParams.set('token', p.token);
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: (res.status === 200 ? JSON.parse(text) : text) as T };
}

describe('flow runs: ingest, live state, store and HTTP API', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('keeps the latest frame of each run, serves and stores it; bad frames are refused and counted', async () => {
    const storePath = join(tmp.dir, 'fox.db');
    const t0 = Date.now() - 1000;
    const profiler = await startProfiler({ storePath, pushIntervalMs: 60_000 });
    try {
      const fake = await FakeExporter.connect(profiler.url, 'P1', [{ id: 'src/a.ts#f' }]);
      fake.send(run('RUN1', t0, 'running'));
      await until(() => profiler.state().flowRuns?.length === 1, 5000, 'the running run');
      assert.equal(profiler.state().flowRuns![0]!.run.status, 'running');

      fake.send(run('RUN1', t0));
      fake.send(run('RUN2', t0 + 100));
      await until(
        () => profiler.state().flowRuns?.[1]?.run.status === 'ok',
        5000,
        'the finished runs',
      );
      const live = profiler.state().flowRuns!;
      // Newest first; the end frame replaced the start frame.
      assert.deepEqual(
        live.map((r) => [r.processId, r.run.runId, r.run.status]),
        [
          ['P1', 'RUN2', 'ok'],
          ['P1', 'RUN1', 'ok'],
        ],
      );

      // Hostile or malformed flow-run frames: refused and counted, the connection goes on.
      const before = profiler.counters().rejected.invalid;
      const bad: unknown[] = [
        { ...run('BAD1', t0), criticalPath: ['ghost'] },
        { ...run('BAD2', t0), start: 1e300 },
        { ...run('BAD3', t0), v: 99 },
        { ...run('BAD4', t0), nodes: [{ name: 'x', needs: ['x', 'y'], status: 'ok' }] },
        { ...run('BAD5', t0), runId: '' },
        {
          ...run('BAD6', t0),
          nodes: Array.from({ length: 1001 }, (_, i) => ({
            name: `n${i}`,
            needs: [],
            status: 'ok',
          })),
          criticalPath: [],
        },
      ];
      for (const frame of bad) fake.ws.send(JSON.stringify(frame));
      fake.send(run('RUN3', t0 + 200));
      await until(() => profiler.state().flowRuns?.length === 3, 5000, 'the good run after');
      assert.equal(profiler.counters().rejected.invalid - before, bad.length);
      assert.ok(!profiler.state().flowRuns!.some((r) => r.run.runId.startsWith('BAD')));

      // HTTP: the list (summaries), one run (its graph), unknown run, no token.
      const list = await getJson<FlowRunSummary[]>(profiler, '/api/flows');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.map((r) => [r.runId, r.nodes, r.failed, r.criticalPath.join('>')]),
        [
          ['RUN3', 4, 0, 'a>b>d'],
          ['RUN2', 4, 0, 'a>b>d'],
          ['RUN1', 4, 0, 'a>b>d'],
        ],
      );
      assert.equal(
        (await getJson<FlowRunSummary[]>(profiler, '/api/flows?limit=1')).body.length,
        1,
      );
      const one = await getJson<FlowRunView>(profiler, '/api/flows/RUN1');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.run, run('RUN1', t0));
      assert.equal((await getJson(profiler, '/api/flows/NOPE')).status, 404);
      const anonymous = await fetch(new URL('/api/flows', profiler.uiUrl));
      assert.equal(anonymous.status, 401);

      // Stored with the run, the end frame over the start frame.
      await until(
        () => {
          const db = new Database(storePath, { readonly: true });
          try {
            const n = db.prepare('select count(*) n from profiler_flow_runs').get() as {
              n: number;
            };
            return n.n === 3;
          } finally {
            db.close();
          }
        },
        5000,
        'three stored runs',
      );
      fake.close();
    } finally {
      await profiler.close();
    }

    // A later profiler on the same store serves the earlier runs from it.
    const again = await startProfiler({ storePath, pushIntervalMs: 60_000 });
    try {
      const list = await getJson<FlowRunSummary[]>(again, '/api/flows');
      assert.deepEqual(
        list.body.map((r) => [r.processId, r.runId, r.status]),
        [
          ['P1', 'RUN3', 'ok'],
          ['P1', 'RUN2', 'ok'],
          ['P1', 'RUN1', 'ok'],
        ],
      );
      const stored = await getJson<FlowRunView>(again, '/api/flows/RUN1');
      assert.deepEqual(stored.body.run, run('RUN1', t0));
    } finally {
      await again.close();
    }
  });
});
