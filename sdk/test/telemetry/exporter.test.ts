import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AggregatesFrame } from '../../src/protocol/wire.js';
import { profilerUrlFromEnv, startExporter, type Exporter } from '../../src/telemetry/exporter.js';
import { FakeHost } from './fake-host.js';
import { until } from '../support/until.js';
import { Sink } from './sink.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('telemetry exporter', () => {
  const exporters: Exporter[] = [];
  const sinks: Sink[] = [];
  const start = (opts: Parameters<typeof startExporter>[0]) => {
    const e = startExporter({ exitHooks: false, ...opts });
    exporters.push(e);
    return e;
  };
  /** A stand-in profiler, killed after the test. */
  const startSink = async (): Promise<Sink> => {
    const sink = await Sink.start();
    sinks.push(sink);
    return sink;
  };
  /** A runtime with one task, `src/a.ts#work`. */
  const workHost = (): FakeHost => {
    const host = new FakeHost();
    host.addTask('src/a.ts#work');
    return host;
  };
  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown(200)));
    await Promise.all(sinks.splice(0).map((s) => s.kill()));
  });

  it('sends a hello, then numbered aggregates with interval counts and quantiles', async () => {
    const sink = await startSink();
    const host = workHost();
    const exporter = start({ url: sink.url, runtime: host, intervalMs: 20 });
    await until(() => sink.of('aggregates').length >= 1);
    for (let i = 0; i < 100; i++) host.call('src/a.ts#work', 2);
    host.call('src/a.ts#work', 50, false);
    await until(() => sink.of('aggregates').some((f) => f.tasks[0]!.interval.calls > 0));

    const [first] = sink.frames;
    assert.equal(first?.type, 'hello');
    assert.equal(first.type === 'hello' && first.tasks[0]!.location?.file, 'src/a.ts');
    const aggs = sink.of('aggregates');
    assert.deepEqual(
      aggs.map((a) => a.seq),
      aggs.map((_, i) => i + 1),
    );
    const busy = aggs.find((f) => f.tasks[0]!.interval.calls > 0)!.tasks[0]!;
    assert.equal(busy.interval.calls, 101);
    assert.equal(busy.interval.errors, 1);
    assert.ok(Math.abs(busy.interval.p50 - 2) < 0.1, `p50 ${busy.interval.p50}`);
    assert.ok(busy.interval.max >= 50 && busy.interval.max < 52);
    assert.equal(
      busy.interval.histogram.reduce((n, [, c]) => n + c, 0),
      101,
    );
    assert.deepEqual(sink.invalid, []);
    assert.ok(exporter.counters().connected);
  });

  it('delivers sampled spans and events, capped per task', async () => {
    const sink = await startSink();
    const host = workHost();
    const exporter = start({
      url: sink.url,
      runtime: host,
      intervalMs: 20,
      sampling: { perTaskPerSecond: 5 },
    });
    const gate = exporter.spans.gate('src/a.ts#work');
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      if (!gate.admit()) continue;
      admitted++;
      exporter.spans.record({
        runId: `run${i}`,
        parentRunId: null,
        taskId: 'src/a.ts#work',
        start: Date.now(),
        duration: 1,
        outcome: 'ok',
        attempt: 1,
        strategy: 'sfox',
      });
    }
    host.emit({ kind: 'limit', at: Date.now(), taskId: 'src/a.ts#work', from: 10, to: 12 });
    assert.equal(admitted, 5);
    await until(() => sink.of('spans').length > 0 && sink.of('events').length > 0);
    assert.equal(sink.of('spans')[0]!.spans.length, 5);
    await until(() => sink.of('aggregates').some((a) => a.dropped.sampledOut === 95));
  });

  it('runs unaffected and stays bounded when no profiler listens', async () => {
    const port = await freePort();
    const host = workHost();
    const diagnostics: string[] = [];
    const exporter = start({
      url: `ws://127.0.0.1:${port}?token=t`,
      runtime: host,
      intervalMs: 10,
      maxBufferBytes: 1 << 20,
      maxPendingSpans: 1000,
      backoff: { initialMs: 5, maxMs: 20 },
      sampling: { perTaskPerSecond: 1e9, totalPerSecond: 1e9 },
      onDiagnostic: (m) => diagnostics.push(m),
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const end = Date.now() + 1500;
    let i = 0;
    while (Date.now() < end) {
      // Work on the caller's side never waits on the exporter.
      for (let k = 0; k < 2000; k++, i++) {
        host.call('src/a.ts#work', 1);
        exporter.spans.record({
          runId: `r${i}`,
          parentRunId: null,
          taskId: 'src/a.ts#work',
          start: 0,
          duration: 1,
          outcome: 'ok',
          attempt: 1,
          strategy: 'sfox',
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    const c = exporter.counters();
    assert.equal(c.connected, false);
    assert.ok(c.bufferedBytes <= 1 << 20, `buffered ${c.bufferedBytes}`);
    assert.ok(c.dropped.frames > 0 && c.dropped.spans > 0, JSON.stringify(c.dropped));
    assert.ok(diagnostics.some((d) => /ECONNREFUSED/.test(d)));
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(growth < 64 << 20, `heap grew ${growth} bytes`);
    await exporter.shutdown(100); // resolves without a profiler
  });

  it('reconnects after the profiler dies and accounts for every interval of the gap', async () => {
    let sink = await Sink.start();
    const port = sink.port;
    const host = workHost();
    const exporter = start({
      url: sink.url,
      runtime: host,
      intervalMs: 10,
      // Small enough that the gap overflows it: some intervals are dropped, and counted.
      maxBufferBytes: 1 << 20,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    await until(() => sink.of('aggregates').length >= 5);
    await sink.kill();
    const lastBefore = Math.max(...sink.of('aggregates').map((a) => a.seq));
    // Make the buffered frames big so the buffer overflows during the outage.
    for (let t = 0; t < 400; t++) host.addTask(`src/big.ts#task${t}`);
    for (const t of host.infos) for (let k = 0; k < 50; k++) host.call(t.id, k);
    await until(() => exporter.counters().dropped.frames > 0, 10_000);
    assert.equal(exporter.counters().connected, false);

    sink = await Sink.start(port);
    sinks.push(sink);
    await until(() => exporter.counters().connects === 2);
    // A frame built after the backlog drained carries every drop of the outage in its counter.
    await until(() => exporter.counters().bufferedFrames === 0);
    const builtAfter = exporter.counters().seq;
    await until(() => sink.of('aggregates').some((a) => a.seq > builtAfter));
    assert.equal(sink.frames[0]?.type, 'hello', 'hello is re-sent first');
    const after = sink.of('aggregates');
    const last = after[after.length - 1]!;
    const received = new Set(after.map((a) => a.seq));
    // Every interval after the old profiler's last one arrived, or is counted as dropped, or
    // was in flight (unconfirmed) when the connection died.
    const missing = last.seq - lastBefore - received.size;
    const d = last.dropped;
    const info = `missing ${missing}, dropped ${JSON.stringify(d)}`;
    assert.ok(d.frames > 0, 'the outage overflowed the buffer');
    assert.ok(missing >= d.frames && missing <= d.frames + d.unconfirmed, info);
    assert.deepEqual(sink.invalid, []);
  });

  it('sends again what a dead profiler never acknowledged, after a hello that says what it did', async () => {
    let sink = await Sink.start();
    const port = sink.port;
    const host = workHost();
    const exporter = start({
      url: sink.url,
      runtime: host,
      intervalMs: 10,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    await until(() => sink.of('aggregates').length >= 3);
    // Received but never stored: a profiler killed between receiving and committing.
    sink.acking = false;
    const acked = Math.max(...sink.of('aggregates').map((a) => a.seq));
    await until(() => sink.of('aggregates').length >= acked + 3);
    await sink.kill();
    const lastSent = Math.max(...sink.of('aggregates').map((a) => a.seq));

    sink = await Sink.start(port);
    sinks.push(sink);
    await until(() => sink.of('aggregates').some((a) => a.seq > lastSent + 2));
    const hello = sink.of('hello')[0]!;
    assert.ok(hello.acked !== undefined && hello.acked >= acked, JSON.stringify(hello.acked));
    const seqs = sink.of('aggregates').map((a) => a.seq);
    // Every frame after the acknowledged ones arrives again, in order, with none missing.
    const from = hello.acked + 1;
    assert.deepEqual(
      seqs.slice(0, lastSent - from + 1),
      Array.from({ length: lastSent - from + 1 }, (_, i) => from + i),
    );
    assert.equal(exporter.counters().dropped.unconfirmed, 0);
    assert.equal(exporter.counters().dropped.frames, 0);
  });

  it('flushes on shutdown and is idempotent', async () => {
    const sink = await startSink();
    const host = workHost();
    const exporter = start({ url: sink.url, runtime: host, intervalMs: 60_000 });
    await until(() => exporter.counters().connected);
    host.call('src/a.ts#work', 3);
    exporter.spans.record({
      runId: 'last',
      parentRunId: null,
      taskId: 'src/a.ts#work',
      start: 0,
      duration: 3,
      outcome: 'ok',
      attempt: 1,
      strategy: 'sfox',
    });
    const p = exporter.shutdown();
    assert.equal(exporter.shutdown(), p);
    await p;
    await until(() => sink.of('spans').length === 1);
    assert.equal(sink.of('aggregates').at(-1)!.tasks[0]!.interval.calls, 1);
  });

  it('delivers the calls of a program that shuts down right after it started', async () => {
    const sink = await startSink();
    const host = workHost();
    const exporter = start({ url: sink.url, runtime: host, intervalMs: 60_000 });
    // No wait for the connection: the socket library is still loading.
    host.call('src/a.ts#work', 3);
    await exporter.shutdown();
    const calls = sink.of('aggregates').reduce((n, a) => n + a.tasks[0]!.interval.calls, 0);
    assert.equal(calls, 1);
    assert.equal(sink.frames[0]?.type, 'hello');
  });

  it('survives a host that throws and a bad url', async () => {
    const sink = await startSink();
    const host = new FakeHost();
    host.stats = () => {
      throw new Error('boom');
    };
    const diagnostics: string[] = [];
    const exporter = start({
      url: sink.url,
      runtime: host,
      intervalMs: 10,
      onDiagnostic: (m) => diagnostics.push(m),
    });
    await until(() => diagnostics.some((d) => d.includes('boom')));
    assert.ok(exporter.counters().seq === 0);
    const bad = start({ url: 'not a url', runtime: new FakeHost(), onDiagnostic: () => {} });
    await bad.shutdown(50);
  });

  it('reads FOX_PROFILER', () => {
    assert.equal(
      profilerUrlFromEnv({ FOX_PROFILER: 'ws://127.0.0.1:1?token=a' }),
      'ws://127.0.0.1:1?token=a',
    );
    assert.equal(profilerUrlFromEnv({ FOX_PROFILER: 'http://x' }), undefined);
    assert.equal(profilerUrlFromEnv({ FOX_PROFILER: ' ' }), undefined);
    assert.equal(profilerUrlFromEnv({}), undefined);
  });
});

export type { AggregatesFrame };
