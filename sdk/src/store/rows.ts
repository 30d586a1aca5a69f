/**
 * Plain row types of the Fox store, as the runtime writes them and queries return them.
 * Timestamps are wall-clock milliseconds since the epoch; durations and latencies are
 * milliseconds. JSON and BLOB columns are decoded, so callers never see SQL types.
 */

/** One running (or past) program that reported telemetry. */
export interface ProcessRow {
  /** ULID chosen by the process at start-up. */
  id: string;
  pid: number;
  startedAt: number;
  argv: string[];
  nodeVersion: string;
  projectRoot: string;
}

/** One fox task as last registered. */
export interface TaskRow {
  /** Stable task id, e.g. `src/images.ts#resize`. */
  id: string;
  /** Declared mode (`sfox` | `wfox` | `tfox` | `mfox` | `auto`). */
  mode: string;
  /** Path relative to the project root, or null when unknown. */
  sourceFile: string | null;
  /** 1-based. */
  line: number | null;
  /** 1-based. */
  column: number | null;
  /** Kept at the earliest value ever written for the task. */
  firstSeen: number;
  /** Kept at the latest value ever written for the task. */
  lastSeen: number;
}

/** One task's telemetry over one reporting interval of one process. */
export interface AggregateRow {
  processId: string;
  taskId: string;
  /** End of the interval; rounded to an integer on insert. */
  at: number;
  calls: number;
  successes: number;
  errors: number;
  errorsByCode: Record<string, number>;
  /** Encoded latency histogram; opaque to the store. */
  histogram: Uint8Array | null;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  inFlight: number;
  queued: number;
  /** Concurrency limit of the task's limiter, or null when it has none. */
  limit: number | null;
}

/** One sampled call (or attempt) of a task. */
export interface SpanRow {
  /** ULID of the call. */
  runId: string;
  parentRunId: string | null;
  taskId: string;
  processId: string;
  /** Epoch milliseconds, fractional allowed. */
  start: number;
  duration: number;
  /** e.g. `ok`, `error`, `timeout`, `rejected`. */
  outcome: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The concrete mode that ran the call. */
  strategy: string;
}

/** What {@link FoxStore.prune} deleted. */
export interface PruneResult {
  aggregates: number;
  spans: number;
  /** Processes with no rows left that started before the cutoff. */
  processes: number;
}

/** An `aggregates` row as SQLite returns it (snake_case columns, histogram as a Buffer). */
export interface AggregateRecord {
  process_id: string;
  task_id: string;
  at: number;
  calls: number;
  successes: number;
  errors: number;
  errors_by_code: string;
  histogram: Buffer | null;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  in_flight: number;
  queued: number;
  limit: number | null;
}

/** The row as the sdk and the profiler read it (the histogram is viewed, not copied). */
export function aggregateRowOf(r: AggregateRecord): AggregateRow {
  return {
    processId: r.process_id,
    taskId: r.task_id,
    at: r.at,
    calls: r.calls,
    successes: r.successes,
    errors: r.errors,
    errorsByCode: JSON.parse(r.errors_by_code) as Record<string, number>,
    histogram:
      r.histogram === null
        ? null
        : new Uint8Array(r.histogram.buffer, r.histogram.byteOffset, r.histogram.byteLength),
    p50: r.p50,
    p90: r.p90,
    p99: r.p99,
    max: r.max,
    inFlight: r.in_flight,
    queued: r.queued,
    limit: r.limit,
  };
}
