import { z } from 'zod';
import { QueueStatsSchema } from './dfox-job.js';
import { ModeSchema } from './modes.js';

/**
 * Wire and API shape of telemetry snapshots. `fox.stats()` returns exactly this; the profiler
 * exporter (later) sends it. Defined once, here, as zod schemas.
 */

export const LatencySummarySchema = z.object({
  /** Number of recorded latencies. */
  count: z.number().int().nonnegative(),
  /** Milliseconds. Zero when count is 0. */
  mean: z.number().nonnegative(),
  p50: z.number().nonnegative(),
  p90: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
});
export type LatencySummary = z.infer<typeof LatencySummarySchema>;

/**
 * What a task's resilience policies did since registration (cumulative counts). Attempts are
 * the attempts that passed every policy's admission and reached the strategy: one per call
 * that was not refused, plus one per retry and per hedge.
 */
export const TaskCounterStatsSchema = z.object({
  attempts: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  hedges: z.number().int().nonnegative(),
  /** Calls the fallback answered. */
  fallbacks: z.number().int().nonnegative(),
  /** Attempts the timeout policy ended. */
  timeouts: z.number().int().nonnegative(),
  /** Calls or attempts refused by each admission policy. */
  rejected: z.object({
    breaker: z.number().int().nonnegative(),
    bulkhead: z.number().int().nonnegative(),
    rateLimit: z.number().int().nonnegative(),
  }),
  /** Circuit-breaker state changes: to open (incl. isolated), to half-open, to closed. */
  breakerTransitions: z.object({
    opened: z.number().int().nonnegative(),
    halfOpened: z.number().int().nonnegative(),
    closed: z.number().int().nonnegative(),
  }),
});
export type TaskCounterStats = z.infer<typeof TaskCounterStatsSchema>;

export const TaskStatsSchema = z.object({
  id: z.string(),
  /** The mode the task was declared with. */
  mode: ModeSchema,
  /** The strategy running it now. */
  current: ModeSchema,
  calls: z.number().int().nonnegative(),
  /** Calls that settled successfully. */
  successes: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** Error counts keyed by `FoxError.code`, `error.code`, or the error's class name. */
  errorsByCode: z.record(z.string(), z.number().int().nonnegative()),
  latency: LatencySummarySchema,
  inFlight: z.number().int().nonnegative(),
  queued: z.number().int().nonnegative(),
  /** Concurrency limit of the task's limiter (wfox), or null when it has none. */
  limit: z.number().nonnegative().nullable(),
  /** What the task's policies did: attempts, retries, hedges, fallbacks, breaker changes. */
  counters: TaskCounterStatsSchema,
});
export type TaskStats = z.infer<typeof TaskStatsSchema>;

/**
 * Event-loop delay since the previous snapshot, ms: how late the loop ran a periodic timer.
 * Net of the timer's period: `monitorEventLoopDelay` samples the time between two ticks of a
 * 10 ms timer, so an idle loop samples ≈ 10 ms; each quantile here is
 * `max(0, sample − resolution)`, so an idle loop reports ≈ 0.
 */
export const EventLoopDelaySchema = z.object({
  p50: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
});
export type EventLoopDelay = z.infer<typeof EventLoopDelaySchema>;

export const ProcessStatsSchema = z.object({
  pid: z.number().int(),
  uptimeMs: z.number().nonnegative(),
  /**
   * See {@link EventLoopDelaySchema}. Null when the monitor has no sample since the previous
   * snapshot ("no data yet": the first snapshot of a process, or two snapshots less than a
   * loop turn apart).
   */
  eventLoopDelay: EventLoopDelaySchema.nullable(),
  /**
   * Event-loop utilisation (0..1) since the previous snapshot. Null ("no data yet") when that
   * interval is too short to measure: the loop did not turn in it and it lasted less than the
   * delay timer's period (the first snapshot, taken as the gauges start, would read 1).
   */
  eventLoopUtilization: z.number().min(0).max(1).nullable(),
  /**
   * CPU time used since the previous snapshot divided by wall time (can exceed 1 with workers).
   * Null when the interval is too short to measure, as for `eventLoopUtilization`.
   */
  cpu: z.number().nonnegative().nullable(),
  heapUsedBytes: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
});
export type ProcessStats = z.infer<typeof ProcessStatsSchema>;

export const StatsSnapshotSchema = z.object({
  /** Wall-clock time of the snapshot (ms since epoch). */
  at: z.number(),
  process: ProcessStatsSchema,
  tasks: z.array(TaskStatsSchema),
  /** Gauges of the dfox queues this process has enqueued on (absent when none). */
  queues: z.array(QueueStatsSchema).optional(),
});
export type StatsSnapshot = z.infer<typeof StatsSnapshotSchema>;
