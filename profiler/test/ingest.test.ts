import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { WIRE_VERSION, type ExporterFrame } from '@fox/sdk/protocol';
import { startProfiler, type Profiler } from '../src/index.js';
import { tempDir, until } from './helpers.js';

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const hello = (id: string): ExporterFrame => ({
  type: 'hello',
  v: WIRE_VERSION,
  process: { id, pid: 1, argv: ['app.js'], nodeVersion: 'v20', projectRoot: '/p', startedAt: 1 },
  tasks: [{ id: 'src/a.ts#f', mode: 'sfox', current: 'sfox', policies: [], location: null }],
});

const aggregates = (seq: number, calls: number): ExporterFrame => ({
  type: 'aggregates',
  seq,
  at: Date.now(),
  intervalMs: 1000,
  process: {
    pid: 1,
    uptimeMs: 1,
    eventLoopDelay: { p50: 1, p99: 2, max: 3 },
    eventLoopUtilization: 0.1,
    cpu: 0.1,
    heapUsedBytes: 1,
    rssBytes: 1,
    workerPoolUtilization: null,
  },
  tasks: [
    {
      id: 'src/a.ts#f',
      mode: 'sfox',
      current: 'sfox',
      calls: seq * calls,
      successes: seq * calls,
      errors: 0,
      errorsByCode: {},
      latency: { count: 1, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
      inFlight: 0,
      queued: 0,
      limit: null,
      interval: {
        calls,
        successes: calls,
        errors: 0,
        p50: 1,
        p95: 1,
        p99: 1,
        max: 1,
        histogram: [[300, calls]],
        histogramSum: calls,
      },
      breaker: null,
    },
  ],
  dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
});

describe('profiler ingest', () => {
  let profiler: Profiler;
  let tmp: ReturnType<typeof tempDir>;
  const sockets: WebSocket[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    profiler = await startProfiler({ storePath: join(tmp.dir, 'fox.db'), maxFrameBytes: 64 << 10 });
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await profiler.close();
    tmp.cleanup();
  });

  it('stores a good client’s process, tasks, aggregates and spans in SQLite', async () => {
    const ws = await open(profiler.url);
    sockets.push(ws);
    ws.send(JSON.stringify(hello('P1')));
    ws.send(JSON.stringify(aggregates(1, 10)));
    ws.send(
      JSON.stringify({
        type: 'spans',
        spans: [
          {
            runId: 'R1',
            parentRunId: null,
            taskId: 'src/a.ts#f',
            start: Date.now(),
            duration: 2,
            outcome: 'ok',
            attempt: 1,
            strategy: 'sfox',
          },
          // A task no hello announced still gets stored (its row is created on the fly).
          {
            runId: 'R2',
            parentRunId: 'R1',
            taskId: 'src/b.ts#g',
            start: Date.now(),
            duration: 1,
            outcome: 'error',
            attempt: 2,
            strategy: 'wfox',
          },
        ],
      }),
    );
    await until(() => (profiler.counters().store?.spansStored ?? 0) === 2, 5000, 'spans stored');
    await until(() => (profiler.counters().store?.aggregatesStored ?? 0) === 1, 5000, 'aggregates');
    const db = new Database(join(tmp.dir, 'fox.db'), { readonly: true });
    try {
      const rows = db.prepare('select count(*) as n from spans').get() as { n: number };
      assert.equal(rows.n, 2);
    } finally {
      db.close();
    }
    const state = profiler.state();
    assert.equal(state.processes[0]?.id, 'P1');
    assert.equal(state.tasks.find((t) => t.id === 'src/a.ts#f')?.calls, 10);
    const tl = profiler.timeline('P1', 'src/a.ts#f');
    assert.ok(
      tl.type === 'spans' && tl.spans.map((s) => [s.runId, s.depth]).join() === 'R1,0,R2,1',
    );
  });

  it('survives 10,000 random and malformed frames, counts them, and keeps serving a good client', async () => {
    const good = await open(profiler.url);
    const bad = await open(profiler.url);
    sockets.push(good, bad);
    good.send(JSON.stringify(hello('GOOD')));
    const validHello = JSON.stringify(hello('BAD'));
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json({ maxDepth: 4 }),
        fc.constantFrom('{', 'null', '[]', '{"type":"hello"}', '{"type":"aggregates","seq":-1}'),
        // Valid JSON, wrong shapes: a field of a good frame replaced by garbage.
        fc
          .record({ key: fc.constantFrom('type', 'v', 'process', 'tasks'), value: fc.jsonValue() })
          .map(({ key, value }) =>
            JSON.stringify({ ...JSON.parse(validHello), [key]: value ?? 0 }),
          ),
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.constant('x'.repeat(70 << 10)), // over the 64 KiB frame limit
      ),
      { numRuns: 10_000, seed: 7 },
    );
    let sent = 0;
    for (const f of frames) {
      bad.send(f);
      if (++sent % 1000 === 0) good.send(JSON.stringify(aggregates(sent / 1000, 5)));
      if (sent % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => profiler.counters().framesReceived >= 10_000 + 11, 20_000, 'all frames');
    const c = profiler.counters();
    const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
    // Everything the bad client sent was either a valid frame or counted as rejected.
    assert.equal(c.framesAccepted + rejected, c.framesReceived);
    assert.ok(rejected > 9000, JSON.stringify(c.rejected));
    assert.ok(
      c.rejected.tooLarge > 0 &&
        c.rejected.binary > 0 &&
        c.rejected.notJson > 0 &&
        c.rejected.invalid > 0,
    );
    // The good client was served throughout.
    const task = profiler.state().tasks.find((t) => t.processId === 'GOOD');
    assert.equal(task?.calls, 50);
    assert.equal(profiler.state().processes.find((p) => p.id === 'GOOD')?.missedIntervals, 0);
    // And the server still accepts new connections.
    const again = await open(profiler.url);
    sockets.push(again);
  });

  it('refuses connections and pages without the token, without accepting data', async () => {
    const base = `ws://127.0.0.1:${profiler.port}`;
    for (const url of [base, `${base}/?token=wrong`, `${base}/ui`]) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => reject(new Error(`${url} was accepted`)));
        ws.once('error', () => {});
      });
      assert.equal(status, 401);
    }
    const page = await fetch(`http://127.0.0.1:${profiler.port}/`);
    assert.equal(page.status, 401);
    const api = await fetch(`http://127.0.0.1:${profiler.port}/api/state?token=nope`);
    assert.equal(api.status, 401);
    assert.equal(profiler.counters().framesReceived, 0);
    assert.equal(profiler.counters().connections.rejected, 3);
  });

  it('closes a connection that sends a frame over the hard limit, and stays up', async () => {
    const ws = await open(profiler.url);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(5 << 20));
    assert.equal(await closed, 1009);
    const next = await open(profiler.url);
    sockets.push(next);
  });
});
