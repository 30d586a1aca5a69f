import type { LaneStats } from '../../modes/mfox/lane.js';
import type { PoolStats } from '../../modes/tfox/pool.js';
import type { QueueStats } from '../../protocol/dfox-job.js';
import { callOutcome } from '../call-outcome.js';
import type { LatencyHistogram } from '../histogram.js';
import { ProcessGauges } from '../process-gauges.js';
import type { TaskMetrics } from '../task-metrics.js';
import { ATTR, MAX_ERROR_TYPES, MAX_LANES, MAX_QUEUES, type MetricKey } from './catalogue.js';

/** Attribute values of one series; every value is a bounded string. */
export type MetricAttributes = Readonly<Record<string, string>>;

/** One series of a counter, up-down counter or gauge. */
export interface MetricPoint {
  readonly attributes: MetricAttributes;
  readonly value: number;
}

/** One task's latencies: the fine, cumulative histogram the task records into. */
export interface DurationSeries {
  readonly attributes: MetricAttributes;
  readonly histogram: LatencyHistogram;
}

/** Everything the metrics exports read, at one instant. */
export interface MetricsReading {
  /** Points of every non-histogram metric (a metric without series has an empty list). */
  readonly values: ReadonlyMap<MetricKey, readonly MetricPoint[]>;
  readonly durations: readonly DurationSeries[];
}

/** What the collector needs to know about one task. */
export interface MetricsTaskView {
  readonly id: string;
  /** The strategy running the task's calls now. */
  readonly current: string;
  readonly metrics: TaskMetrics;
  /** Queue length and limiter limit of the strategy in use. */
  gauges(): { queued: number; limit: number | null };
  /** The circuit breaker's state, or undefined when the task has none. */
  breakerState(): 'closed' | 'open' | 'halfOpen' | 'isolated' | undefined;
}

/** Where the collector reads from (the runtime, in a program; anything, in a test). */
export interface MetricsSource {
  tasks(): readonly MetricsTaskView[];
  /** The tfox pool's numbers, or undefined when no pool runs. */
  pool(): PoolStats | undefined;
  lanes(): readonly LaneStats[];
  /** The dfox queues this process has used (none when it uses no dfox task). */
  queues(): readonly QueueStats[];
}

const BREAKER_STATES = ['closed', 'open', 'half_open', 'isolated'] as const;
const BREAKER_STATE_NAMES = {
  closed: 'closed',
  open: 'open',
  halfOpen: 'half_open',
  isolated: 'isolated',
} as const;
const OTHER_ERROR_TYPE = '_OTHER';

/**
 * Reads the aggregates Fox keeps anyway (task metrics, strategy gauges, pool and lanes, process
 * gauges) into metric points, when an exporter asks: nothing here runs per call. The process
 * gauges are the collector's own (their delay monitor starts with {@link start} or the first
 * reading and stops with {@link close}), so readings take no intervals from `fox.stats()`.
 */
export class MetricsCollector {
  private gauges: ProcessGauges | undefined;

  constructor(private readonly source: MetricsSource) {}

  read(): MetricsReading {
    const points = new Points();
    const durations: DurationSeries[] = [];
    for (const task of this.source.tasks()) {
      const attributes = taskAttributes(task);
      durations.push({ attributes, histogram: task.metrics.latency });
      readTask(points, task, attributes);
    }
    this.readStrategies(points);
    this.readProcess(points);
    return { values: points.values, durations };
  }

  /** Only the tasks' latency histograms (cheap: no gauges read). */
  durations(): DurationSeries[] {
    return this.source
      .tasks()
      .map((task) => ({ attributes: taskAttributes(task), histogram: task.metrics.latency }));
  }

  /** The shared resources of the strategies: tfox pool, mfox lanes, dfox queues. */
  private readStrategies(points: Points): void {
    const pool = this.source.pool();
    if (pool) {
      const utilization = pool.threads > 0 ? Math.min(1, pool.inFlight / pool.threads) : 0;
      points.add('poolUtilization', {}, utilization);
      points.add('poolThreads', {}, pool.threads);
      points.add('poolQueued', {}, pool.queued);
    }
    for (const lane of this.source.lanes().slice(0, MAX_LANES)) {
      const l = { [ATTR.lane]: lane.name };
      points.add('laneInFlight', l, lane.inFlight);
      points.add('laneQueued', l, lane.queued);
      points.add('laneLimit', l, lane.limit);
      points.add('laneRejections', l, lane.rejected);
    }
    for (const q of this.source.queues().slice(0, MAX_QUEUES)) {
      const queue = { [ATTR.queue]: q.queue };
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const)
        points.add('queueJobs', { ...queue, [ATTR.jobState]: state }, q[state]);
      points.add('queueConnected', queue, q.connected ? 1 : 0);
    }
  }

  /** Event-loop delay and utilisation since the previous reading (none without data). */
  private readProcess(points: Points): void {
    const p = (this.gauges ??= new ProcessGauges()).snapshot();
    if (p.eventLoopDelay) {
      points.add('loopDelayP50', {}, p.eventLoopDelay.p50 / 1000);
      points.add('loopDelayP99', {}, p.eventLoopDelay.p99 / 1000);
      points.add('loopDelayMax', {}, p.eventLoopDelay.max / 1000);
    }
    if (p.eventLoopUtilization !== null) points.add('loopUtilization', {}, p.eventLoopUtilization);
  }

  /**
   * Starts the process gauges, so that the first reading already covers an interval (an
   * exporter calls this when it attaches). Reading starts them too.
   */
  start(): void {
    this.gauges ??= new ProcessGauges();
  }

  /** Stops the process gauges' delay monitor. A later reading starts it again. */
  close(): void {
    this.gauges?.stop();
    this.gauges = undefined;
  }
}

function taskAttributes(task: MetricsTaskView): MetricAttributes {
  return { [ATTR.task]: task.id, [ATTR.mode]: task.current };
}

/** The points of one reading, by metric. */
class Points {
  readonly values = new Map<MetricKey, MetricPoint[]>();

  add(key: MetricKey, attributes: MetricAttributes, value: number): void {
    let points = this.values.get(key);
    if (!points) this.values.set(key, (points = []));
    points.push({ attributes, value });
  }
}

/** One task's counts, gauges and policy counters. */
function readTask(points: Points, task: MetricsTaskView, base: MetricAttributes): void {
  const m = task.metrics;
  points.add('calls', { ...base, [ATTR.outcome]: 'ok' }, m.successes);
  let kept = 0;
  let other = 0;
  for (const [code, n] of m.errorsByCode) {
    // Insertion order is stable, so each code keeps its series for the process's lifetime.
    if (kept++ >= MAX_ERROR_TYPES) other += n;
    else {
      const attributes = { ...base, [ATTR.outcome]: callOutcome(code), [ATTR.errorType]: code };
      points.add('calls', attributes, n);
    }
  }
  if (other > 0) {
    const attributes = { ...base, [ATTR.outcome]: 'error', [ATTR.errorType]: OTHER_ERROR_TYPE };
    points.add('calls', attributes, other);
  }
  points.add('inFlight', base, m.inFlight);
  const g = task.gauges();
  points.add('queued', base, g.queued);
  if (g.limit !== null) points.add('limit', base, g.limit);
  const c = m.counters;
  points.add('attempts', base, c.attempts);
  points.add('retries', base, c.retries);
  points.add('hedges', base, c.hedges);
  points.add('fallbacks', base, c.fallbacks);
  points.add('timeouts', base, c.timeouts);
  points.add('rejections', { ...base, [ATTR.policy]: 'breaker' }, c.rejectedByBreaker);
  points.add('rejections', { ...base, [ATTR.policy]: 'bulkhead' }, c.rejectedByBulkhead);
  points.add('rejections', { ...base, [ATTR.policy]: 'rate_limit' }, c.rejectedByRateLimit);
  const state = task.breakerState();
  if (state === undefined) return;
  const t = { [ATTR.task]: task.id };
  const transitions = {
    open: c.breakerOpened,
    half_open: c.breakerHalfOpened,
    closed: c.breakerClosed,
  };
  for (const [to, n] of Object.entries(transitions))
    points.add('breakerTransitions', { ...t, [ATTR.breakerState]: to }, n);
  const now = BREAKER_STATE_NAMES[state];
  for (const s of BREAKER_STATES)
    points.add('breakerState', { ...t, [ATTR.breakerState]: s }, s === now ? 1 : 0);
}
