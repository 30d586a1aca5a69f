/**
 * Every metric Fox exports, defined once: the OpenTelemetry instruments, the Prometheus
 * exposition, docs/metrics.md and the Grafana dashboard all use these names. Names follow the
 * OpenTelemetry semantic conventions where one exists (`nodejs.eventloop.*`, `error.type`) and
 * a `fox.*` namespace otherwise. Attributes are bounded: task ids come from the program's code,
 * modes, outcomes, policies and states are fixed sets, error types are capped per task (see
 * MAX_ERROR_TYPES) and lanes per process (MAX_LANES).
 */

/** How a metric is aggregated (the OpenTelemetry instrument kinds Fox uses). */
export type MetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** One metric: its OpenTelemetry name, kind, unit (UCUM), meaning and attribute keys. */
export interface MetricDefinition {
  readonly name: string;
  readonly kind: MetricKind;
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
}

/** Attribute keys (OpenTelemetry spelling; Prometheus labels replace dots by underscores). */
export const ATTR = {
  task: 'fox.task.id',
  /** The strategy running the task's calls now (what auto chose, or an approved switch). */
  mode: 'fox.mode',
  /** ok | error | timeout | rejected | cancelled. */
  outcome: 'fox.outcome',
  /** The error's code (FoxError.code, error.code) or class name; `_OTHER` past the cap. */
  errorType: 'error.type',
  /** breaker | bulkhead | rate_limit. */
  policy: 'fox.policy',
  /** closed | open | half_open | isolated. */
  breakerState: 'fox.breaker.state',
  lane: 'fox.lane',
  /** A dfox queue's name. */
  queue: 'fox.dfox.queue',
  /** waiting | active | delayed | failed (BullMQ's job states). */
  jobState: 'fox.dfox.job.state',
} as const;

/** Distinct `error.type` values per task; further codes are counted as `_OTHER`. */
export const MAX_ERROR_TYPES = 32;
/** mfox lanes reported (origin lanes are per remote origin): the first ones created. */
export const MAX_LANES = 64;
/** dfox queues reported: the first ones opened. */
export const MAX_QUEUES = 64;

const TASK = [ATTR.task, ATTR.mode];

function def(
  name: string,
  kind: MetricKind,
  unit: string,
  description: string,
  attributes: readonly string[],
): MetricDefinition {
  return { name, kind, unit, description, attributes };
}

/** The catalogue, in the order of docs/metrics.md. */
export const METRICS = {
  calls: def(
    'fox.task.calls',
    'counter',
    '{call}',
    'Calls of a task that settled, by outcome and error type.',
    [...TASK, ATTR.outcome, ATTR.errorType],
  ),
  duration: def(
    'fox.task.duration',
    'histogram',
    's',
    'Duration of timed calls (every call below 16384 calls/s per task, a uniform sample above).',
    TASK,
  ),
  inFlight: def(
    'fox.task.in_flight',
    'updowncounter',
    '{call}',
    'Calls started and not settled yet (running, queued, or waiting to retry).',
    TASK,
  ),
  queued: def(
    'fox.task.queue.length',
    'updowncounter',
    '{call}',
    "Calls waiting in the task's strategy queue (wfox limiter, tfox pool, mfox lane).",
    TASK,
  ),
  limit: def(
    'fox.task.limit',
    'gauge',
    '{call}',
    "Concurrency limit of the task's adaptive limiter (wfox tasks only).",
    TASK,
  ),
  attempts: def(
    'fox.task.attempts',
    'counter',
    '{attempt}',
    'Attempts that passed the policies and reached the strategy (calls, retries, hedges).',
    TASK,
  ),
  retries: def('fox.task.retries', 'counter', '{retry}', 'Retries started.', TASK),
  hedges: def('fox.task.hedges', 'counter', '{hedge}', 'Hedged attempts started.', TASK),
  fallbacks: def('fox.task.fallbacks', 'counter', '{call}', 'Calls the fallback answered.', TASK),
  timeouts: def(
    'fox.task.timeouts',
    'counter',
    '{attempt}',
    'Attempts ended by the timeout policy.',
    TASK,
  ),
  rejections: def(
    'fox.task.rejections',
    'counter',
    '{call}',
    'Calls or attempts refused by an admission policy.',
    [...TASK, ATTR.policy],
  ),
  breakerTransitions: def(
    'fox.breaker.transitions',
    'counter',
    '{transition}',
    'Circuit-breaker state changes, by the state entered (open includes isolated).',
    [ATTR.task, ATTR.breakerState],
  ),
  breakerState: def(
    'fox.breaker.state',
    'gauge',
    '{state}',
    "1 for the circuit breaker's current state, 0 for the others.",
    [ATTR.task, ATTR.breakerState],
  ),
  poolUtilization: def(
    'fox.tfox.pool.utilization',
    'gauge',
    '1',
    'Share of tfox worker threads running a call (0..1).',
    [],
  ),
  poolThreads: def(
    'fox.tfox.pool.threads',
    'updowncounter',
    '{thread}',
    'tfox worker threads alive.',
    [],
  ),
  poolQueued: def(
    'fox.tfox.pool.queue.length',
    'updowncounter',
    '{call}',
    'tfox calls waiting for a worker thread.',
    [],
  ),
  laneInFlight: def(
    'fox.mfox.lane.in_flight',
    'updowncounter',
    '{operation}',
    'Operations running in an mfox I/O lane.',
    [ATTR.lane],
  ),
  laneQueued: def(
    'fox.mfox.lane.queue.length',
    'updowncounter',
    '{operation}',
    'Operations waiting for an mfox I/O lane.',
    [ATTR.lane],
  ),
  laneLimit: def(
    'fox.mfox.lane.limit',
    'gauge',
    '{operation}',
    'Concurrency limit of an mfox I/O lane.',
    [ATTR.lane],
  ),
  laneRejections: def(
    'fox.mfox.lane.rejections',
    'counter',
    '{operation}',
    'Operations an mfox lane refused because its queue was full.',
    [ATTR.lane],
  ),
  queueJobs: def(
    'fox.dfox.queue.jobs',
    'updowncounter',
    '{job}',
    "Jobs in a dfox queue by state (BullMQ's counts, polled every second).",
    [ATTR.queue, ATTR.jobState],
  ),
  queueConnected: def(
    'fox.dfox.queue.connected',
    'gauge',
    '{connection}',
    "1 while this process's connection to the dfox queue's Redis is ready, else 0.",
    [ATTR.queue],
  ),
  loopDelayP50: def(
    'nodejs.eventloop.delay.p50',
    'gauge',
    's',
    'Median event-loop delay since the previous collection, net of the 10 ms monitor resolution.',
    [],
  ),
  loopDelayP99: def(
    'nodejs.eventloop.delay.p99',
    'gauge',
    's',
    '99th percentile event-loop delay since the previous collection, net of the resolution.',
    [],
  ),
  loopDelayMax: def(
    'nodejs.eventloop.delay.max',
    'gauge',
    's',
    'Largest event-loop delay since the previous collection, net of the resolution.',
    [],
  ),
  loopUtilization: def(
    'nodejs.eventloop.utilization',
    'gauge',
    '1',
    'Event-loop utilisation (0..1) since the previous collection.',
    [],
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

/**
 * The Prometheus name of a metric, as the OpenTelemetry → Prometheus compatibility rules give
 * it: dots become underscores, the unit becomes a suffix (`s` → `_seconds`, `1` → `_ratio`,
 * annotations in braces are dropped) and counters end in `_total`.
 */
export function prometheusName(metric: MetricDefinition): string {
  let name = metric.name.replace(/[^a-zA-Z0-9_:]/g, '_');
  const suffix = UNIT_SUFFIX[metric.unit];
  if (suffix && !name.endsWith(`_${suffix}`)) name += `_${suffix}`;
  if (metric.kind === 'counter') name += '_total';
  return name;
}

const UNIT_SUFFIX: Readonly<Record<string, string>> = { s: 'seconds', '1': 'ratio', By: 'bytes' };

/** The Prometheus label name of an attribute key. */
export function prometheusLabel(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}
