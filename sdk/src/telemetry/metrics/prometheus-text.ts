import {
  METRICS,
  METRIC_KEYS,
  prometheusLabel,
  prometheusName,
  type MetricDefinition,
} from './catalogue.js';
import { DURATION_BOUNDARIES, exportedHistogram } from './duration-buckets.js';
import type { MetricAttributes, MetricsReading } from './metrics-collector.js';

/** The content type of the Prometheus text exposition format this renders. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const PROMETHEUS_TYPE = {
  counter: 'counter',
  updowncounter: 'gauge',
  gauge: 'gauge',
  histogram: 'histogram',
} as const;

/**
 * Renders a reading in the Prometheus text exposition format (version 0.0.4): every metric of
 * the catalogue has its HELP and TYPE lines, with or without series, so dashboards and alerts
 * can refer to a metric before it has data.
 */
export function renderPrometheus(reading: MetricsReading): string {
  const out: string[] = [];
  for (const key of METRIC_KEYS) {
    const m: MetricDefinition = METRICS[key];
    const name = prometheusName(m);
    out.push(
      `# HELP ${name} ${escapeHelp(m.description)}`,
      `# TYPE ${name} ${PROMETHEUS_TYPE[m.kind]}`,
    );
    if (m.kind === 'histogram') {
      for (const d of reading.durations) renderHistogram(out, name, d.attributes, d.histogram);
      continue;
    }
    for (const p of reading.values.get(key) ?? []) {
      out.push(`${name}${labels(p.attributes)} ${formatValue(p.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

function renderHistogram(
  out: string[],
  name: string,
  attributes: MetricAttributes,
  fine: Parameters<typeof exportedHistogram>[0],
): void {
  const h = exportedHistogram(fine);
  let cumulative = 0;
  for (let i = 0; i <= DURATION_BOUNDARIES.length; i++) {
    cumulative += h.counts[i]!;
    const le = i < DURATION_BOUNDARIES.length ? String(DURATION_BOUNDARIES[i]) : '+Inf';
    out.push(`${name}_bucket${labels(attributes, le)} ${cumulative}`);
  }
  out.push(`${name}_sum${labels(attributes)} ${formatValue(h.sum)}`);
  out.push(`${name}_count${labels(attributes)} ${h.count}`);
}

function labels(attributes: MetricAttributes, le?: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(attributes))
    parts.push(`${prometheusLabel(k)}="${escapeLabel(v)}"`);
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
