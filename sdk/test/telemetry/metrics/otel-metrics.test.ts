import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { fox } from '../../../src/index.js';
import { runtime } from '../../../src/runtime/runtime.js';
import { DURATION_BOUNDARIES } from '../../../src/telemetry/metrics/duration-buckets.js';

type Points = Map<string, DataPoint<unknown>[]>;

// Fox's metrics through the real OpenTelemetry metrics SDK: a MeterProvider registered with
// @opentelemetry/api, its periodic reader flushed by hand into the in-memory exporter.
describe('OpenTelemetry metrics', () => {
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let provider: MeterProvider;

  function register(): void {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
  }

  /** Collects now; the data points of each Fox metric by name. */
  async function collect(): Promise<Points> {
    await reader.forceFlush();
    const last = exporter.getMetrics().at(-1);
    exporter.reset();
    const scope = last?.scopeMetrics.find((s) => s.scope.name === '@fox/sdk');
    assert.ok(scope, 'no @fox/sdk meter in the export');
    return new Map(scope.metrics.map((m) => [m.descriptor.name, m.dataPoints]));
  }

  const pointsOf = (points: Points, name: string, task: string) =>
    (points.get(name) ?? []).filter((p) => p.attributes['fox.task.id'] === task);

  function valueOf(points: Points, name: string, attrs: Record<string, string>): number {
    const p = (points.get(name) ?? []).find((x) =>
      Object.entries(attrs).every(([k, v]) => x.attributes[k] === v),
    );
    assert.ok(p, `no ${name} point with ${JSON.stringify(attrs)}`);
    return p.value as number;
  }

  afterEach(async () => {
    await runtime().reset();
    await provider?.shutdown();
    metrics.disable();
  });

  it('exports exact call counts by outcome and error type, and duration buckets', async () => {
    register();
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let installed = true;
    const realTime = () => {
      if (installed) clock.uninstall();
      installed = false;
    };
    try {
      const work = fox({ id: 'otelm#work', timeout: 1000 }, async (ms: number, code?: string) => {
        await new Promise((r) => setTimeout(r, ms));
        if (code) throw Object.assign(new Error(code), { code });
        return ms;
      });
      const plan: [number, string?][] = [
        [3],
        [3],
        [3],
        [30],
        [30],
        [30],
        [30],
        [30],
        [300],
        [300],
        [7, 'EDOWN'],
        [7, 'EDOWN'],
        [70, 'EPIPE'],
        [5000], // ends by the timeout, at 1 s
      ];
      const settled = Promise.allSettled(plan.map(([ms, code]) => work(ms, code)));
      await clock.tickAsync(6000);
      await settled;
      realTime(); // the reader's own timers must run for real
      const points = await collect();

      assert.equal(valueOf(points, 'fox.task.calls', { 'fox.outcome': 'ok' }), 10);
      assert.equal(
        valueOf(points, 'fox.task.calls', { 'fox.outcome': 'error', 'error.type': 'EDOWN' }),
        2,
      );
      assert.equal(
        valueOf(points, 'fox.task.calls', { 'fox.outcome': 'error', 'error.type': 'EPIPE' }),
        1,
      );
      assert.equal(
        valueOf(points, 'fox.task.calls', {
          'fox.outcome': 'timeout',
          'error.type': 'FOX_TIMEOUT',
        }),
        1,
      );
      assert.equal(valueOf(points, 'fox.task.timeouts', { 'fox.task.id': 'otelm#work' }), 1);
      assert.equal(valueOf(points, 'fox.task.attempts', { 'fox.task.id': 'otelm#work' }), 14);

      const [duration] = pointsOf(points, 'fox.task.duration', 'otelm#work');
      assert.ok(duration, 'a duration histogram point');
      assert.equal(duration.attributes['fox.mode'], 'sfox');
      const h = duration.value as Histogram;
      assert.deepEqual(h.buckets.boundaries, DURATION_BOUNDARIES);
      assert.equal(h.count, 14);
      const expected = new Array<number>(DURATION_BOUNDARIES.length + 1).fill(0);
      const at = (s: number) => DURATION_BOUNDARIES.indexOf(s);
      expected[at(0.005)] = 3; // 3 ms
      expected[at(0.01)] = 2; // 7 ms
      expected[at(0.05)] = 5; // 30 ms
      expected[at(0.1)] = 1; // 70 ms
      expected[at(0.5)] = 2; // 300 ms
      expected[at(1)] = 1; // the 1 s timeout
      assert.deepEqual(h.buckets.counts, expected);
      const exactSum = 3 * 0.003 + 2 * 0.007 + 5 * 0.03 + 0.07 + 2 * 0.3 + 1;
      assert.ok(Math.abs(h.sum! - exactSum) / exactSum < 1 / 32, `sum ${h.sum} ≈ ${exactSum}`);
    } finally {
      realTime();
    }
  });

  it('counts each call once across collections, and retries, fallbacks and breakers', async () => {
    register();
    let fail = true;
    const flaky = fox(
      {
        id: 'otelm#flaky',
        retry: { attempts: 2, delay: 0 },
        breaker: { consecutive: 4, halfOpenAfter: 60_000 },
        fallback: 'cached',
      },
      async () => {
        if (fail) throw Object.assign(new Error('nope'), { code: 'ENOPE' });
        return 'fresh';
      },
    );
    fail = false;
    for (let i = 0; i < 5; i++) assert.equal(await flaky(), 'fresh');
    let points = await collect();
    assert.equal(
      (pointsOf(points, 'fox.task.duration', 'otelm#flaky')[0]!.value as Histogram).count,
      5,
    );

    fail = true;
    // Two calls of two attempts each: four failures in a row open the breaker.
    assert.equal(await flaky(), 'cached');
    assert.equal(await flaky(), 'cached');
    assert.equal(await flaky(), 'cached'); // refused by the open breaker
    points = await collect();
    const task = { 'fox.task.id': 'otelm#flaky' };
    assert.equal(
      (pointsOf(points, 'fox.task.duration', 'otelm#flaky')[0]!.value as Histogram).count,
      8,
    );
    assert.equal(valueOf(points, 'fox.task.calls', { ...task, 'fox.outcome': 'ok' }), 8);
    assert.equal(valueOf(points, 'fox.task.attempts', task), 9);
    assert.equal(valueOf(points, 'fox.task.retries', task), 2);
    assert.equal(valueOf(points, 'fox.task.fallbacks', task), 3);
    assert.equal(valueOf(points, 'fox.task.rejections', { ...task, 'fox.policy': 'breaker' }), 1);
    assert.equal(
      valueOf(points, 'fox.breaker.transitions', { ...task, 'fox.breaker.state': 'open' }),
      1,
    );
    assert.equal(valueOf(points, 'fox.breaker.state', { ...task, 'fox.breaker.state': 'open' }), 1);
    assert.equal(
      valueOf(points, 'fox.breaker.state', { ...task, 'fox.breaker.state': 'closed' }),
      0,
    );
  });

  it('finds a provider registered after the tasks, and reports wfox and process gauges', async () => {
    const slow = fox({ id: 'otelm#late', mode: 'wfox' }, async () => 1);
    await slow();
    register();
    fox.configure({ openTelemetry: true }); // looks at once instead of within a second
    await slow();
    await new Promise((r) => setTimeout(r, 30)); // let the delay monitor tick
    const points = await collect();
    const task = { 'fox.task.id': 'otelm#late' };
    assert.equal(valueOf(points, 'fox.task.calls', { ...task, 'fox.outcome': 'ok' }), 2);
    assert.equal(valueOf(points, 'fox.task.in_flight', { ...task, 'fox.mode': 'wfox' }), 0);
    assert.equal(valueOf(points, 'fox.task.queue.length', task), 0);
    assert.ok(valueOf(points, 'fox.task.limit', task) >= 1);
    const elu = valueOf(points, 'nodejs.eventloop.utilization', {});
    assert.ok(elu >= 0 && elu <= 1);
    assert.ok(valueOf(points, 'nodejs.eventloop.delay.p99', {}) >= 0);
  });

  it('looks again every second for a provider registered after the tasks', async () => {
    const f = fox({ id: 'otelm#polled' }, async () => 1);
    await f();
    register();
    await new Promise((r) => setTimeout(r, 1200));
    const points = await collect();
    assert.equal(
      valueOf(points, 'fox.task.calls', { 'fox.task.id': 'otelm#polled', 'fox.outcome': 'ok' }),
      1,
    );
  });
});
