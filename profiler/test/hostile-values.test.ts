import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import {
  MAX_DURATION_MS,
  MAX_EPOCH_MS,
  parseExporterFrame,
  WIRE_VERSION,
  type AggregatesFrame,
} from '@fox/sdk/protocol';
import { startProfiler, type Profiler } from '../src/index.js';
import { BatchWriter } from '../src/storage/batch-writer.js';
import { FakeExporter } from './fake-exporter.js';
import { tempDir, until } from './helpers.js';

/** A well-formed aggregates frame of task `taskId`, for tests to corrupt one field at a time. */
function frame(seq: number, taskId: string, at = Date.now()): AggregatesFrame {
  return {
    type: 'aggregates',
    seq,
    at,
    intervalMs: 20,
    process: {
      pid: 7,
      uptimeMs: 1000,
      eventLoopDelay: { p50: 1, p99: 2, max: 3 },
      eventLoopUtilization: 0.1,
      cpu: 0.1,
      heapUsedBytes: 1 << 20,
      rssBytes: 2 << 20,
      workerPoolUtilization: null,
    },
    tasks: [
      {
        id: taskId,
        mode: 'sfox',
        current: 'sfox',
        calls: seq,
        successes: seq,
        errors: 0,
        errorsByCode: {},
        latency: { count: seq, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
        inFlight: 0,
        queued: 0,
        limit: null,
        interval: {
          calls: 1,
          successes: 1,
          errors: 0,
          p50: 1,
          p95: 1,
          p99: 1,
          max: 1,
          histogram: [],
          histogramSum: 1,
        },
        breaker: null,
      },
    ],
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
  };
}

/** Sets `path` (dot-separated) in a deep copy of `value`. */
function withValue<T>(value: T, path: string, v: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = v;
  return copy as T;
}

function count(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('hostile values next to a good client', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('the wire refuses numbers no store column can hold', () => {
    const good = frame(1, 'src/a.ts#f');
    assert.ok(parseExporterFrame(JSON.stringify(good)).ok);
    // The values the independent fault test used, and their neighbours.
    for (const [path, value] of [
      ['at', 1e300],
      ['at', -1],
      ['at', MAX_EPOCH_MS + 1],
      ['process.heapUsedBytes', 0.5],
      ['process.rssBytes', -1],
      ['process.uptimeMs', 1e300],
      ['process.eventLoopDelay.p99', -0.1],
      ['tasks.0.inFlight', 1.5],
      ['tasks.0.calls', 2 ** 60],
      ['tasks.0.interval.p99', MAX_DURATION_MS * 2],
      ['tasks.0.latency.max', 1e300],
      ['tasks.0.limit', 1e300],
      ['tasks.0.id', ''],
    ] as const) {
      const r = parseExporterFrame(JSON.stringify(withValue(good, path, value)));
      assert.equal(r.ok, false, `${path} = ${value} was accepted`);
    }
    // JSON cannot say Infinity, but 1e999 parses to it.
    const text = JSON.stringify(good).replace(/"at":\d+/, '"at":1e999');
    assert.equal(parseExporterFrame(text).ok, false);
  });

  it('a row the store refuses is left out and counted; the rest of its batch is stored', () => {
    const path = join(tmp.dir, 'fox.db');
    const rejected: string[] = [];
    const writer = new BatchWriter({
      path,
      flushMs: 60_000,
      onRowRejected: (processId, table) => rejected.push(`${processId}:${table}`),
    });
    try {
      const now = Date.now();
      for (const id of ['GOOD', 'BAD']) {
        writer.process({
          id,
          pid: 1,
          startedAt: now,
          argv: [],
          nodeVersion: 'v20',
          projectRoot: '/',
        });
        writer.tasks([
          {
            id: `t#${id}`,
            mode: 'sfox',
            sourceFile: null,
            line: null,
            column: null,
            firstSeen: now,
            lastSeen: now,
          },
        ]);
      }
      const row = (processId: string, at: number) => ({
        processId,
        taskId: `t#${processId}`,
        at,
        calls: 1,
        successes: 1,
        errors: 0,
        errorsByCode: {},
        histogram: null,
        p50: 1,
        p90: 1,
        p99: 1,
        max: 1,
        inFlight: 0,
        queued: 0,
        limit: null,
      });
      const gauge = (processId: string, at: number, heapUsedBytes: number) => ({
        processId,
        at,
        delayP50: 1,
        delayP99: 1,
        delayMax: 1,
        elu: 0.1,
        cpu: 0.1,
        heapUsedBytes,
        dropped: {},
      });
      const acks: string[] = [];
      // Interleaved in one batch, as two connections' frames are between two flushes.
      for (let i = 0; i < 20; i++) {
        writer.aggregate([row('GOOD', now + i)], gauge('GOOD', now + i, 1000), () =>
          acks.push('GOOD'),
        );
        if (i % 4 === 0) {
          // Values only a client bypassing the wire schema could hand in: 1e300 in an
          // INTEGER column, half a byte.
          writer.aggregate([row('BAD', 1e300)], gauge('BAD', now + i, 0.5), () => acks.push('BAD'));
        }
      }
      writer.flush();
      assert.equal(count(path, `select count(*) n from aggregates where process_id = 'GOOD'`), 20);
      assert.equal(
        count(path, `select count(*) n from profiler_gauges where process_id = 'GOOD'`),
        20,
      );
      assert.equal(count(path, `select count(*) n from aggregates where process_id = 'BAD'`), 0);
      assert.equal(writer.stats().rowsRejected, 10);
      assert.equal(writer.stats().aggregatesStored, 20);
      assert.deepEqual(new Set(rejected), new Set(['BAD:aggregates', 'BAD:profiler_gauges']));
      // Every frame was processed: acknowledged, refused rows counted rather than retried.
      assert.equal(acks.length, 25);
    } finally {
      writer.close();
    }
  });

  it('a fuzz run of schema-valid hostile frames loses none of a good client’s rows', async function () {
    this.timeout(60_000);
    const store = join(tmp.dir, 'fox.db');
    const profiler: Profiler = await startProfiler({ storePath: store });
    const hostile: WebSocket[] = [];
    try {
      const good = await FakeExporter.connect(profiler.url, 'GOOD', [{ id: 'src/good.ts#f' }]);
      // Numbers at and inside every bound the schema allows, plus the old killers (refused).
      const epoch = fc.oneof(
        fc.constantFrom(0, MAX_EPOCH_MS, 1e300, -1),
        fc.double({ min: 0, max: MAX_EPOCH_MS, noNaN: true }),
      );
      const ms = fc.oneof(
        fc.constantFrom(0, MAX_DURATION_MS, 1e300, -5),
        fc.double({ min: 0, max: MAX_DURATION_MS, noNaN: true }),
      );
      const count_ = fc.oneof(fc.constantFrom(0, Number.MAX_SAFE_INTEGER, 0.5), fc.nat());
      const field = fc.oneof(
        fc.record({ path: fc.constant('at'), value: epoch }),
        fc.record({ path: fc.constant('intervalMs'), value: ms }),
        fc.record({ path: fc.constant('process.uptimeMs'), value: ms }),
        fc.record({ path: fc.constant('process.heapUsedBytes'), value: count_ }),
        fc.record({ path: fc.constant('process.rssBytes'), value: count_ }),
        fc.record({
          path: fc.constant('process.cpu'),
          value: fc.double({ min: 0, max: 1024, noNaN: true }),
        }),
        fc.record({ path: fc.constant('process.eventLoopDelay.max'), value: ms }),
        fc.record({ path: fc.constant('tasks.0.calls'), value: count_ }),
        fc.record({ path: fc.constant('tasks.0.inFlight'), value: count_ }),
        fc.record({
          path: fc.constant('tasks.0.limit'),
          value: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e9, noNaN: true })),
        }),
        fc.record({ path: fc.constant('tasks.0.interval.p99'), value: ms }),
        fc.record({ path: fc.constant('tasks.0.interval.max'), value: ms }),
        fc.record({
          path: fc.constant('tasks.0.interval.histogram'),
          value: fc.array(fc.tuple(count_, count_), { maxLength: 4 }),
        }),
        fc.record({
          path: fc.constant('tasks.0.errorsByCode'),
          value: fc.dictionary(fc.string({ maxLength: 64 }), fc.nat()),
        }),
      );
      const frames = fc.sample(fc.array(field, { minLength: 1, maxLength: 4 }), {
        numRuns: 600,
        seed: 24,
      });
      for (let c = 0; c < 3; c++) {
        const ws = new WebSocket(profiler.url);
        await new Promise((r) => ws.once('open', r));
        hostile.push(ws);
        ws.send(
          JSON.stringify({
            type: 'hello',
            v: WIRE_VERSION,
            process: {
              id: `BAD${c}`,
              pid: c,
              argv: [],
              nodeVersion: 'v',
              projectRoot: '/',
              startedAt: 0,
            },
            tasks: [],
          }),
        );
      }
      const intervals = 40;
      let sent = 0;
      for (let i = 1; i <= intervals; i++) {
        good.interval(Date.now(), [{ id: 'src/good.ts#f', latencies: [1, 2, 3] }]);
        // Between two good intervals, a burst of hostile ones on every other connection.
        for (let k = 0; k < frames.length / intervals; k++) {
          const changes = frames[sent % frames.length]!;
          let f = frame(++sent, `src/bad${sent % 7}.ts#f`);
          for (const { path, value } of changes) f = withValue(f, path, value);
          hostile[sent % hostile.length]!.send(JSON.stringify(f));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await until(
        () =>
          count(store, `select count(*) n from profiler_gauges where process_id = 'GOOD'`) ===
          intervals,
        10_000,
        'every good interval in the store',
      );
      assert.equal(
        count(store, `select count(*) n from aggregates where process_id = 'GOOD'`),
        intervals,
      );
      const c = profiler.counters();
      // The hostile frames were either stored or refused at the wire, never taken by the store.
      assert.ok(c.rejected.invalid > 0, JSON.stringify(c.rejected));
      assert.equal(c.store?.writeErrors, 0, JSON.stringify(c.store));
      assert.equal(c.store?.rowsRejected, 0, JSON.stringify(c.store));
      assert.equal(profiler.state().processes.find((p) => p.id === 'GOOD')?.missedIntervals, 0);
      good.close();
    } finally {
      for (const ws of hostile) ws.terminate();
      await profiler.close();
    }
  });
});

describe('hostile flow-run frames', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const good = {
    type: 'flow-run',
    v: 1,
    runId: 'R1',
    flow: 'f',
    parentRunId: null,
    status: 'ok',
    start: t0,
    end: t0 + 2,
    nodes: [
      { name: 'a', needs: [], status: 'ok', start: t0, end: t0 + 1 },
      { name: 'b', needs: ['a'], status: 'ok', start: t0 + 1, end: t0 + 2 },
    ],
    omitted: 0,
    criticalPath: ['a', 'b'],
  };

  it('the wire refuses times, sizes and references no store or UI could hold', () => {
    assert.ok(parseExporterFrame(JSON.stringify(good)).ok);
    for (const [path, value] of [
      ['start', 1e300],
      ['start', -1],
      ['end', MAX_EPOCH_MS + 1],
      ['nodes.0.start', -5],
      ['nodes.1.end', 1e300],
      ['nodes.1.needs', ['a', 'zz']],
      ['nodes.1.name', 'a'],
      ['nodes.0.name', 'x'.repeat(201)],
      ['criticalPath', ['b', 'nowhere']],
      ['omitted', -1],
      ['omitted', 2 ** 60],
      ['flow', ''],
      ['runId', 'r'.repeat(513)],
      ['parentRunId', 7],
    ] as const) {
      const r = parseExporterFrame(JSON.stringify(withValue(good, path, value)));
      assert.equal(r.ok, false, `${path} = ${String(value).slice(0, 20)} was accepted`);
    }
    const text = JSON.stringify(good).replace(`"start":${t0},"end"`, '"start":1e999,"end"');
    assert.equal(parseExporterFrame(text).ok, false);
  });
});
