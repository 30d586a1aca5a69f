import { DURATION_BOUNDARIES, fineBucketSeconds } from './duration-buckets.js';
import { METRICS, METRIC_KEYS, type MetricDefinition, type MetricKey } from './catalogue.js';
import type { MetricsCollector } from './metrics-collector.js';
import { repeatEvery, type Clock, type RepeatingTimer } from '../../clock/clock.js';
import type { LatencyHistogram } from '../histogram.js';

/*
 * The OpenTelemetry metrics bridge. Like the tracing bridge, the sdk does not depend on
 * `@opentelemetry/api`: it uses the program's copy, typed structurally by the few members used.
 * Everything but the duration histogram is an observable instrument read from Fox's own
 * aggregates in one batch callback, so calls pay nothing for it. OpenTelemetry has no
 * observable histogram, so the latencies the tasks timed are recorded into a synchronous
 * histogram afterwards (each at its fine bucket's midpoint, see duration-buckets.ts): every
 * 100 ms, and the rest when the reader collects. The cost moves off the call path and is
 * bounded by the task metrics' timing sample (at most ~16k latencies per task per second, about
 * 1.5% of a core at the SDK's ~0.9 µs a record); recording in small batches keeps each pause of
 * the event loop short, where one batch per collection (60 s by default) would stall it for
 * most of a second under that load.
 */

/** How often timed latencies are recorded into the OpenTelemetry histogram. */
const RECORD_EVERY_MS = 100;

type Attributes = Readonly<Record<string, string>>;

interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An observable instrument (counter, up-down counter or gauge), opaque to the bridge. */
type OtelObservable = object;

interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}

interface OtelBatchResult {
  observe(observable: OtelObservable, value: number, attributes?: Attributes): void;
}

type OtelBatchCallback = (result: OtelBatchResult) => void;

interface OtelMeter {
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableUpDownCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  addBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
  removeBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
}

interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

/** The members of `@opentelemetry/api` the metrics bridge uses. */
export interface OpenTelemetryMetricsApi {
  metrics: { getMeterProvider(): OtelMeterProvider };
  createNoopMeter(): object;
}

const METER_NAME = '@fox/sdk';

/** Whether a module has the members of `@opentelemetry/api` the metrics bridge uses. */
export function looksLikeOpenTelemetryMetricsApi(api: unknown): api is OpenTelemetryMetricsApi {
  const a = api as Partial<OpenTelemetryMetricsApi> | null;
  return (
    typeof a?.metrics?.getMeterProvider === 'function' && typeof a.createNoopMeter === 'function'
  );
}

/**
 * The meter of the program's registered MeterProvider, or undefined while none is registered.
 * Without one, the API hands out its no-op meter; comparing prototypes with the API's own
 * no-op meter tells the two apart without creating an instrument.
 */
export function registeredMeter(api: OpenTelemetryMetricsApi): OtelMeter | undefined {
  const meter = api.metrics.getMeterProvider().getMeter(METER_NAME);
  return Object.getPrototypeOf(meter) === Object.getPrototypeOf(api.createNoopMeter())
    ? undefined
    : meter;
}

function createObservable(meter: OtelMeter, m: MetricDefinition): OtelObservable {
  const options = { description: m.description, unit: m.unit };
  switch (m.kind) {
    case 'counter':
      return meter.createObservableCounter(m.name, options);
    case 'updowncounter':
      return meter.createObservableUpDownCounter(m.name, options);
    default:
      return meter.createObservableGauge(m.name, options);
  }
}

/** Fox's instruments on one meter, fed by a collector until {@link close}. */
export class OtelMetricsBridge {
  private readonly observables = new Map<MetricKey, OtelObservable>();
  private readonly duration: OtelHistogram;
  /** What has been recorded into `duration`, per task histogram (a copy of it then). */
  private readonly recorded = new WeakMap<LatencyHistogram, LatencyHistogram>();
  private readonly callback: OtelBatchCallback;
  private readonly recorder: RepeatingTimer;

  constructor(
    private readonly meter: OtelMeter,
    private readonly collector: MetricsCollector,
    clock: Clock,
  ) {
    for (const key of METRIC_KEYS) {
      const m: MetricDefinition = METRICS[key];
      if (m.kind !== 'histogram') this.observables.set(key, createObservable(meter, m));
    }
    this.duration = meter.createHistogram(METRICS.duration.name, {
      description: METRICS.duration.description,
      unit: METRICS.duration.unit,
      advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] },
    });
    this.callback = (result) => this.observe(result);
    meter.addBatchObservableCallback(this.callback, [...this.observables.values()]);
    this.recorder = repeatEvery(clock, RECORD_EVERY_MS, () => this.recordTimed());
  }

  private observe(result: OtelBatchResult): void {
    const reading = this.collector.read();
    for (const [key, points] of reading.values) {
      const observable = this.observables.get(key);
      if (!observable) continue;
      for (const p of points) result.observe(observable, p.value, p.attributes);
    }
    for (const d of reading.durations) this.recordSince(d.histogram, d.attributes);
  }

  private recordTimed(): void {
    for (const d of this.collector.durations()) this.recordSince(d.histogram, d.attributes);
  }

  /** Records the latencies the task timed since the previous recording. */
  private recordSince(h: LatencyHistogram, attributes: Attributes): void {
    const previous = this.recorded.get(h);
    if (previous?.count === h.count) return;
    const counts = h.counts;
    const before = previous?.counts;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]! - (before ? before[i]! : 0);
      if (n <= 0) continue;
      const seconds = fineBucketSeconds(i);
      for (let k = 0; k < n; k++) this.duration.record(seconds, attributes);
    }
    if (previous) {
      previous.reset();
      previous.merge(h);
    } else this.recorded.set(h, h.clone());
  }

  close(): void {
    this.recorder.cancel();
    this.meter.removeBatchObservableCallback(this.callback, [...this.observables.values()]);
  }
}
