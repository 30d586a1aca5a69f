import { z } from 'zod';

/**
 * What a dfox job carries from the caller to a Fox worker through BullMQ (Redis), defined once
 * here for both sides. The job's BullMQ name is the task id too (visible in queue dashboards),
 * but workers read only `data`.
 */

/** Bumped when the shape changes incompatibly; a worker refuses versions it does not know. */
export const DFOX_JOB_VERSION = 1;

export const DfoxTraceSchema = z.object({
  /**
   * Run id (ULID) of the caller's dfox call: the worker's inner calls are its children. Sent
   * when the caller has one (sampled as a span, or read): a ULID costs tens of µs, and a call
   * nobody observes needs none; the worker then makes one if the function asks.
   */
  runId: z.string().min(1).optional(),
  /** The caller's enclosing call, if any. */
  parentRunId: z.string().min(1).optional(),
  /** Whether the caller records this call as a span (children inherit it). */
  sampled: z.boolean().optional(),
  /** W3C `traceparent` of the caller's OpenTelemetry span, when it has one. */
  traceparent: z.string().optional(),
});
export type DfoxTrace = z.infer<typeof DfoxTraceSchema>;

export const DfoxJobDataSchema = z.object({
  v: z.literal(DFOX_JOB_VERSION),
  /** `<path relative to the project root>#<export>`: the worker resolves it against its root. */
  taskId: z.string().min(1).max(1000),
  /** SHA-256 (hex) of the caller's copy of the module the task id names. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  args: z.array(z.unknown()),
  /** Top-level arguments that were `undefined` (JSON has no undefined). */
  undef: z.array(z.number().int().nonnegative()).optional(),
  /** Where the caller's AbortSignal was: the last argument, or the last argument's `signal`. */
  signal: z.enum(['arg', 'prop']).optional(),
  trace: DfoxTraceSchema,
  /** Epoch ms after which the caller stops waiting (its timeout); the worker aborts then. */
  deadline: z.number().int().positive().optional(),
});
export type DfoxJobData = z.infer<typeof DfoxJobDataSchema>;

/** A job's return value: `{ v }`, or `{ u: 1 }` for `undefined` (which JSON cannot hold). */
export type DfoxJobResult = { v: unknown } | { u: 1 };

/**
 * A failed job's `failedReason` when the worker knows why: this prefix and a serialized error
 * (JSON), so the caller re-creates the error's class, code and fields. Anything else is a
 * reason BullMQ wrote itself (a stalled job failing, a lock lost).
 */
export const DFOX_FAILURE_PREFIX = 'fox-error:';

/**
 * The Redis hash where callers record the timeout of each task they enqueue on a queue
 * (task id → ms), so a worker started later derives its lock settings from them.
 */
export function dfoxTimeoutsKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:fox-timeouts`;
}

/** The Redis pub/sub channel on which callers ask workers to abort a running job. */
export function dfoxCancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:fox-cancel`;
}

/** One dfox queue's gauges in `fox.stats()` (and on the wire): BullMQ's job counts, polled. */
export const QueueStatsSchema = z.object({
  queue: z.string(),
  waiting: z.number().int().nonnegative(),
  active: z.number().int().nonnegative(),
  delayed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Whether this process's connection to the queue's Redis is ready. */
  connected: z.boolean(),
});
export type QueueStats = z.infer<typeof QueueStatsSchema>;
