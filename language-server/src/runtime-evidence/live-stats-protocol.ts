import { z } from 'zod';
import type { CpuFunctionStats } from '@fox/sdk/protocol';

/**
 * The `fox/liveStats` notification, client → server: the editor's in-process profiler pushes
 * per-task aggregates of the processes it receives (debug sessions, "Run with Profiler", the
 * `fox` task), at most about once a second. The server keeps the latest push and prefers it
 * over the store (`.fox/fox.db`), which serves past runs. Version 1.
 *
 * Validated with zod on arrival: a client of another version or a broken push is ignored (and
 * said once in the server log), never a failed editor.
 */
export const LIVE_STATS_METHOD = 'fox/liveStats' as const;
/** The method name as a type, so a client can spell it without importing server code. */
export type LiveStatsMethod = typeof LIVE_STATS_METHOD;
export const LIVE_STATS_VERSION = 1;

/** A duration or latency, ms (about 31 years at most, as on the sdk's wire). */
const Ms = z.number().nonnegative().max(1e12);
/** Wall-clock time, epoch ms, up to 2200-01-01 (as on the sdk's wire). */
const EpochMs = z
  .number()
  .nonnegative()
  .max(Date.UTC(2200, 0, 1));
const Count = z.number().int().nonnegative();
const Id = z.string().min(1).max(512);

/** Time span some numbers cover, epoch ms. */
export const EvidenceWindowSchema = z.object({ from: EpochMs, to: EpochMs });
export type EvidenceWindow = z.infer<typeof EvidenceWindowSchema>;

/**
 * Parameters a task runs with now, as the runtime holds them (after `configure()` or an
 * approved guardian change), in the units the options take: durations in ms.
 */
export const RunningOptionsSchema = z
  .object({
    mode: z.string().max(16),
    timeoutMs: Ms,
    retryAttempts: z.number().int().min(1).max(100),
    bulkheadLimit: Count,
    /** Approval of the latest change, when the guardian's audit log has it. */
    approval: z.object({
      auditId: z.string().max(64).optional(),
      proposalId: z.string().max(64).optional(),
      summary: z.string().max(1024),
      approver: z.string().max(128).optional(),
      at: EpochMs,
    }),
  })
  .partial();
export type RunningOptions = z.infer<typeof RunningOptionsSchema>;

/** Calls and errors of one interval (the burst detector reads a series of these). */
export const IntervalCountsSchema = z.object({ calls: Count, errors: Count });
export type IntervalCounts = z.infer<typeof IntervalCountsSchema>;

/** One task, summed over the profiled processes that run it. */
export const LiveTaskSchema = z.object({
  id: Id,
  /** Declared mode and the strategy in use now. */
  mode: z.string().max(16).optional(),
  current: z.string().max(16).optional(),
  /** Latency quantiles, ms, over the calls of `window`. */
  p50: Ms,
  p95: Ms.optional(),
  p99: Ms,
  calls: Count,
  errors: Count,
  /** Error counts by code (`FOX_TIMEOUT`, `ECONNRESET`, an error class name…), when known. */
  errorsByCode: z.record(z.string().max(64), Count).optional(),
  /** Recent intervals, oldest first, for burst detection. */
  intervals: z.array(IntervalCountsSchema).max(600).optional(),
  window: EvidenceWindowSchema,
  running: RunningOptionsSchema.optional(),
});
export type LiveTask = z.infer<typeof LiveTaskSchema>;

/**
 * CPU time sampled in one function over a window (V8 CPU profile, aggregated per function by
 * the SDK and the profiler). The shape the profiler forwards: the sdk's `CpuFunctionStats`
 * (checked at compile time) with its window; see `FunctionCpuEvidence`. Its own bounds, not the
 * wire's: the numbers are sums over windows.
 */
export const LiveFunctionCpuSchema = z.object({
  /** Project-relative path, `/` separators, after source maps. */
  file: z.string().max(1024),
  /** 1-based line and column of the function declaration. */
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  name: z.string().max(256),
  selfMs: Ms,
  totalMs: Ms,
  samples: Count,
  longestSyncMs: Ms,
  window: EvidenceWindowSchema.optional(),
}) satisfies z.ZodType<CpuFunctionStats & { window?: EvidenceWindow }>;

export const LiveStatsParamsSchema = z.object({
  v: z.literal(LIVE_STATS_VERSION),
  /** When the client built this push, epoch ms. */
  at: EpochMs,
  /** Where the numbers come from, for messages ("live from the debug session"). */
  source: z.object({
    label: z.string().max(128),
    /** The profiler session (store run id) or, without a store, the process ids. */
    runId: z.string().max(512).optional(),
  }),
  tasks: z.array(LiveTaskSchema).max(10_000),
  functions: z.array(LiveFunctionCpuSchema).max(50_000).optional(),
});
export type LiveStatsParams = z.infer<typeof LiveStatsParamsSchema>;
