import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import parsePrometheus from 'parse-prometheus-text-format';
import { fox } from '../../../src/index.js';
import { runtime } from '../../../src/runtime/runtime.js';
import { METRICS, prometheusName } from '../../../src/telemetry/metrics/catalogue.js';

const DASHBOARD = new URL('../../../../docs/grafana-dashboard.json', import.meta.url);
const METRICS_DOC = new URL('../../../../docs/metrics.md', import.meta.url);

interface Panel {
  type: string;
  id: number;
  targets?: { expr: string }[];
}

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
function queries(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: unknown }[] };
  };
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of d.templating.list) {
    const q = v.query as { query?: string } | string | undefined;
    if (typeof q === 'object' && q.query) exprs.push(q.query);
  }
  return exprs;
}

/** Metric names an expression reads (histogram series map to their family). */
function metricNames(expr: string): string[] {
  // Label names are not metrics: drop matchers, groupings and label_values' label argument.
  const metricsOnly = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, '')
    .replace(/label_values\(([^,]+),[^)]*\)/g, '$1');
  const names = metricsOnly.match(/\b(?:fox|nodejs)_[a-z0-9_]+/g) ?? [];
  return names.map((n) => n.replace(/_(bucket|sum|count)$/, ''));
}

// The dashboard in docs/ must only query metrics the endpoint serves, with data once a
// program has used the features the panels show.
describe('Grafana dashboard', () => {
  after(() => runtime().reset());

  it('queries only metrics the Prometheus endpoint serves, each with samples', async function () {
    this.timeout(30_000);
    fox.configure({ metrics: { port: 0 }, pool: { minThreads: 1, maxThreads: 1 } });
    const { cube } = await import('./fixtures/dashboard-tasks.js');
    const guarded = fox(
      { id: 'dash#guarded', mode: 'wfox', breaker: { consecutive: 1 }, retry: 2, fallback: 0 },
      async (fail: boolean) => {
        if (fail) throw new Error('down');
        return 1;
      },
    );
    const lane = fox({ id: 'dash#lane', mode: 'mfox', lane: 'net' }, async () => 1);
    await guarded(false);
    await guarded(true);
    assert.equal(await cube(2), 8);
    await lane();
    await new Promise((r) => setTimeout(r, 40)); // let the event-loop delay monitor tick

    const res = await fetch((await runtime().metricsEndpoint!).url);
    const families = parsePrometheus(await res.text());
    const served = new Map(families.map((f) => [f.name, f.metrics.length]));
    const catalogue = new Set(Object.values(METRICS).map((m) => prometheusName(m)));
    const queried = new Set(queries().flatMap(metricNames));
    assert.ok(queried.size >= 20, `the dashboard reads ${queried.size} metrics`);
    for (const name of queried) {
      assert.ok(catalogue.has(name), `${name} is not in the catalogue`);
      assert.ok(served.has(name), `${name} is not in the exposition`);
      // dfox queues need a Redis and a dfox call; their series are tested in the collector's.
      if (!name.startsWith('fox_dfox_')) assert.ok(served.get(name)! > 0, `${name} has no samples`);
    }
  });

  it('docs/metrics.md lists every metric with its kind, unit and attributes', () => {
    const doc = readFileSync(METRICS_DOC, 'utf8');
    for (const m of Object.values(METRICS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${m.name}\` `));
      assert.ok(row, `${m.name} is not in docs/metrics.md`);
      assert.ok(row.includes(`\`${prometheusName(m)}\``), `${m.name}: Prometheus name`);
      assert.ok(row.includes(` ${m.kind} `), `${m.name}: kind`);
      assert.ok(row.includes(`\`${m.unit}\``), `${m.name}: unit`);
      for (const a of m.attributes) assert.ok(row.includes(`\`${a}\``), `${m.name}: ${a}`);
    }
  });
});
