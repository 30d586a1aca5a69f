import { z } from 'zod';
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
});
export type TaskStats = z.infer<typeof TaskStatsSchema>;

export const ProcessStatsSchema = z.object({
  pid: z.number().int(),
  uptimeMs: z.number().nonnegative(),
  eventLoopDelay: z.object({
    /** Milliseconds, from `monitorEventLoopDelay` since the previous snapshot. */
    p50: z.number().nonnegative(),
    p99: z.number().nonnegative(),
    max: z.number().nonnegative(),
  }),
  /** Event-loop utilisation (0..1) since the previous snapshot. */
  eventLoopUtilization: z.number().min(0).max(1),
  /** CPU time used since the previous snapshot divided by wall time (can exceed 1 with workers). */
  cpu: z.number().nonnegative(),
  heapUsedBytes: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
});
export type ProcessStats = z.infer<typeof ProcessStatsSchema>;

export const StatsSnapshotSchema = z.object({
  /** Wall-clock time of the snapshot (ms since epoch). */
  at: z.number(),
  process: ProcessStatsSchema,
  tasks: z.array(TaskStatsSchema),
});
export type StatsSnapshot = z.infer<typeof StatsSnapshotSchema>;
