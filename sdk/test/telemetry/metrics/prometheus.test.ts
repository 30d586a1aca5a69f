import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import parsePrometheus from 'parse-prometheus-text-format';
import { FoxConfigError, fox } from '../../../src/index.js';
import { runtime } from '../../../src/runtime/runtime.js';
import { DURATION_BOUNDARIES } from '../../../src/telemetry/metrics/duration-buckets.js';
import { METRICS, prometheusName } from '../../../src/telemetry/metrics/catalogue.js';

type Families = ReturnType<typeof parsePrometheus>;

async function endpoint(): Promise<string> {
  const e = runtime().metricsEndpoint;
  assert.ok(e, 'no metrics endpoint');
  return (await e).url;
}

async function scrapeText(url: string, token?: string): Promise<string> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function scrape(url: string, token?: string): Promise<Families> {
  return parsePrometheus(await scrapeText(url, token));
}

/**
 * One task's series of a histogram family. The parser folds every labelled series of a
 * histogram into one (it keys buckets by `le` alone and drops labelled `_sum`/`_count`), so the
 * series is cut out of the exposition and its task labels removed before parsing.
 */
function histogramOf(text: string, name: string, taskId: string) {
  const lines = text.split('\n');
  const series = lines
    .filter((l) => l.startsWith(`${name}_`) && l.includes(`fox_task_id="${taskId}"`))
    .map((l) =>
      l.replace(/\{([^}]*)\}/, (_, inner: string) => {
        const le = /le="[^"]*"/.exec(inner);
        return le ? `{${le[0]}}` : '';
      }),
    );
  const head = lines.filter(
    (l) => l === `# TYPE ${name} histogram` || l.startsWith(`# HELP ${name} `),
  );
  const [f] = parsePrometheus([...head, ...series, ''].join('\n'));
  const m = f?.metrics[0];
  assert.ok(m?.buckets && m.count !== undefined && m.sum !== undefined, `no ${name} for ${taskId}`);
  return { buckets: m.buckets, count: m.count, sum: m.sum };
}

function family(families: Families, name: string) {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `no family ${name}`);
  return f;
}

function sample(families: Families, name: string, labels: Record<string, string>): number {
  const s = family(families, name).metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  assert.ok(s, `no ${name} sample with ${JSON.stringify(labels)}`);
  return Number(s.value);
}

// The Prometheus endpoint of fox.configure({ metrics }), scraped over a real loopback socket
// and read with a real exposition-format parser.
describe('Prometheus metrics endpoint', () => {
  afterEach(() => runtime().reset());

  it('serves counters, gauges and the duration histogram on loopback', async () => {
    fox.configure({ metrics: { port: 0 } });
    const url = await endpoint();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    let n = 0;
    const flaky = fox({ id: 'prom#flaky' }, async () => {
      if (++n % 3 === 0) throw Object.assign(new Error('x'), { code: 'E_"QUOTED"\n' });
      return n;
    });
    const retried = fox({ id: 'prom#retried', retry: { attempts: 3, delay: 0 } }, async () => {
      throw Object.assign(new Error('down'), { code: 'EDOWN' });
    });
    const limited = fox({ id: 'prom#limited', mode: 'wfox' }, async () => 1);
    for (let i = 0; i < 9; i++) await flaky().catch(() => undefined);
    for (let i = 0; i < 2; i++) await retried().catch(() => undefined);
    await limited();

    const text = await scrapeText(url);
    const families = parsePrometheus(text);
    const calls = prometheusName(METRICS.calls);
    assert.equal(calls, 'fox_task_calls_total');
    assert.equal(family(families, calls).type, 'COUNTER');
    const task = { fox_task_id: 'prom#flaky', fox_mode: 'sfox' };
    assert.equal(sample(families, calls, { ...task, fox_outcome: 'ok' }), 6);
    assert.equal(
      sample(families, calls, { ...task, fox_outcome: 'error', error_type: 'E_"QUOTED"\n' }),
      3,
    );
    assert.equal(sample(families, 'fox_task_attempts_total', task), 9);
    const r = { fox_task_id: 'prom#retried' };
    assert.equal(sample(families, calls, { ...r, fox_outcome: 'error', error_type: 'EDOWN' }), 2);
    assert.equal(sample(families, 'fox_task_attempts_total', r), 6);
    assert.equal(sample(families, 'fox_task_retries_total', r), 4);
    assert.equal(sample(families, 'fox_task_retries_total', task), 0);
    assert.ok(sample(families, 'fox_task_limit', { fox_task_id: 'prom#limited' }) >= 1);
    assert.equal(family(families, 'fox_task_in_flight').type, 'GAUGE');

    assert.equal(family(families, 'fox_task_duration_seconds').type, 'HISTOGRAM');
    const h = histogramOf(text, 'fox_task_duration_seconds', 'prom#flaky');
    assert.equal(Number(h.count), 9);
    const les = [...DURATION_BOUNDARIES.map(String), '+Inf'];
    // (Object key order puts integer-like boundaries first: compare as sets, read in order.)
    assert.deepEqual(Object.keys(h.buckets).sort(), [...les].sort(), 'every boundary and +Inf');
    const cumulative = les.map((le) => Number(h.buckets[le]));
    assert.ok(cumulative.every((c, i) => i === 0 || c >= cumulative[i - 1]!));
    assert.equal(cumulative.at(-1), 9);
    assert.ok(Number(h.sum) >= 0);
  });

  it('puts timed durations in exact buckets, as the OpenTelemetry export does', async () => {
    fox.configure({ metrics: { port: 0 } });
    const url = await endpoint();
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const wait = fox({ id: 'prom#wait' }, (ms: number) => new Promise((r) => setTimeout(r, ms)));
      const all = Promise.all([0, 3, 3, 30, 300, 4000].map((ms) => wait(ms)));
      await clock.tickAsync(5000);
      await all;
    } finally {
      clock.uninstall(); // the scrape's sockets and timers are real
    }
    const h = histogramOf(await scrapeText(url), 'fox_task_duration_seconds', 'prom#wait');
    const at = (le: number) => Number(h.buckets[String(le)]);
    assert.equal(at(1e-6), 1, 'a call that took no time');
    assert.equal(at(0.001), 1);
    assert.equal(at(0.0025), 1);
    assert.equal(at(0.005), 3, 'two calls of 3 ms');
    assert.equal(at(0.05), 4, '30 ms');
    assert.equal(at(0.5), 5, '300 ms');
    assert.equal(at(2.5), 5);
    assert.equal(at(5), 6, '4 s');
    assert.equal(Number(h.buckets['+Inf']), 6);
    assert.equal(Number(h.count), 6);
    const exact = (3 + 3 + 30 + 300 + 4000) / 1000;
    assert.ok(Math.abs(Number(h.sum) - exact) < 1e-9, `sum ${h.sum} = ${exact}`);
  });

  it('reports the tfox pool and mfox lanes', async function () {
    this.timeout(30_000);
    fox.configure({ metrics: { port: 0 }, pool: { minThreads: 1, maxThreads: 1 } });
    const { square } = await import('./fixtures/metrics-tasks.js');
    const read = fox({ id: 'prom#read', mode: 'mfox', lane: 'fs' }, async () => 'done');
    assert.equal(await square(7), 49);
    assert.equal(await read(), 'done');
    const families = await scrape(await endpoint());
    assert.equal(sample(families, 'fox_tfox_pool_threads', {}), 1);
    const u = sample(families, 'fox_tfox_pool_utilization_ratio', {});
    assert.ok(u >= 0 && u <= 1);
    assert.ok(sample(families, 'fox_mfox_lane_limit', { fox_lane: 'fs' }) >= 1);
    assert.equal(sample(families, 'fox_mfox_lane_in_flight', { fox_lane: 'fs' }), 0);
  });

  it('asks for the bearer token when one is set, and refuses other paths and methods', async () => {
    const token = 'scrape-token-0123456789';
    fox.configure({ metrics: { port: 0, token } });
    const url = await endpoint();
    assert.equal((await fetch(url)).status, 401);
    const wrong = await fetch(url, { headers: { authorization: 'Bearer scrape-token-x' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="fox metrics"');
    const families = await scrape(url, token);
    assert.ok(families.some((f) => f.name === 'nodejs_eventloop_utilization_ratio'));
    assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
    assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 405);
  });

  it('stops serving with metrics: false, and on shutdown', async () => {
    fox.configure({ metrics: { port: 0 } });
    const url = await endpoint();
    await scrape(url);
    fox.configure({ metrics: false });
    assert.equal(runtime().metricsEndpoint, undefined);
    await assert.rejects(fetch(url));
    fox.configure({ metrics: { port: 0 } });
    const again = await endpoint();
    await fox.shutdown();
    await assert.rejects(fetch(again));
  });

  it('rejects invalid metrics options with a FoxConfigError naming the option', () => {
    const cases: [unknown, string][] = [
      [{ port: 70_000 }, 'metrics.port'],
      [{ port: 1.5 }, 'metrics.port'],
      [{}, 'metrics.port'],
      [{ port: 9464, host: 'example.com' }, 'metrics.host'],
      [{ port: 9464, token: 'short' }, 'metrics.token'],
      [{ port: 9464, token: 'has spaces in the token' }, 'metrics.token'],
      [{ port: 9464, path: 'metrics' }, 'metrics.path'],
      [{ port: 9464, prot: 1 }, 'metrics.prot'],
      ['yes', 'metrics'],
    ];
    for (const [metrics, path] of cases) {
      assert.throws(
        () => fox.configure({ metrics } as never),
        (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === path,
        `${JSON.stringify(metrics)} should name ${path}`,
      );
    }
    assert.equal(runtime().metricsEndpoint, undefined, 'nothing started');
  });

  it('warns instead of throwing when the port is taken', async () => {
    fox.configure({ metrics: { port: 0 } });
    const { port } = await runtime().metricsEndpoint!;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const rt = runtime();
      // A second endpoint on the same port, as another program would hold it.
      const { PrometheusServer } =
        await import('../../../src/telemetry/metrics/prometheus-server.js');
      const { MetricsCollector } =
        await import('../../../src/telemetry/metrics/metrics-collector.js');
      const holder = new PrometheusServer(
        { port: 0, host: '127.0.0.1', path: '/metrics' },
        new MetricsCollector({
          tasks: () => [],
          pool: () => undefined,
          lanes: () => [],
          queues: () => [],
        }),
      );
      const held = await holder.ready;
      fox.configure({ metrics: { port: held.port } });
      await assert.rejects(rt.metricsEndpoint!);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, ['FoxMetricsWarning']);
      assert.equal(rt.metricsEndpoint, undefined);
      await holder.close();
      assert.ok(port > 0);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
