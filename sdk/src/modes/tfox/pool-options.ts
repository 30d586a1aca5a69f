import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * `fox.configure({ pool })`: the tfox worker pool. Validated like every option; a change
 * applies to the pool created next (after `fox.shutdown()`, or before the first tfox call).
 */
export const PoolOptionsSchema = z
  .object({
    /** Workers kept alive while idle. Default 1. */
    minThreads: z.number().int().min(0).max(1024).optional(),
    /** Most workers at once. Default `os.availableParallelism()`. */
    maxThreads: z.number().int().min(1).max(1024).optional(),
    /** A worker above `minThreads` idle this long is stopped. Non-zero; default 30 s. */
    idleTimeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    /**
     * Calls in flight per worker: `'auto'` (default) holds about 16 ms of a worker's calls (2
     * to 1,024 of them), sent 8 ms at a time and fewer as the queue drains, so messaging is
     * amortised while the workers still finish a burst together. A number is a fixed limit.
     */
    concurrentTasksPerWorker: z
      .union([z.literal('auto'), z.number().int().min(1).max(4096)])
      .optional(),
    /** A cancelled call that has not stopped after this long gets its worker terminated. */
    cancelGraceMs: z.number().int().min(0).max(600_000).optional(),
    /** How long a worker may take to import a task's module. Default 10 s. */
    loadTimeoutMs: z.number().int().min(1).max(600_000).optional(),
    /**
     * Recycle a worker whose V8 heap in use exceeds this many MiB: checked after it sends
     * results (at most every 100 ms), it takes no new calls, finishes the ones it has, and is
     * replaced. Set it well above a fresh worker's heap (garbage not yet collected counts).
     */
    recycleHeapMb: z.number().positive().optional(),
    /** Passed to each `Worker` (a worker over its limits dies; its calls fail; it is replaced). */
    resourceLimits: z
      .object({
        maxOldGenerationSizeMb: z.number().positive().optional(),
        maxYoungGenerationSizeMb: z.number().positive().optional(),
        codeRangeSizeMb: z.number().positive().optional(),
        stackSizeMb: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (o) => o.minThreads === undefined || o.maxThreads === undefined || o.minThreads <= o.maxThreads,
    {
      message: 'minThreads must be ≤ maxThreads',
    },
  );

export type PoolOptions = z.input<typeof PoolOptionsSchema>;

export interface ResolvedPoolOptions {
  minThreads: number;
  maxThreads: number;
  idleTimeoutMs: number;
  concurrentTasksPerWorker: 'auto' | number;
  cancelGraceMs: number;
  loadTimeoutMs: number;
  recycleHeapBytes: number;
  /** Least time between two heap checks in a worker (not configurable: tests set 0). */
  heapCheckIntervalMs: number;
  resourceLimits: z.output<typeof PoolOptionsSchema>['resourceLimits'];
}

export function resolvePoolOptions(
  o: z.output<typeof PoolOptionsSchema> = {},
): ResolvedPoolOptions {
  const max = o.maxThreads ?? Math.max(1, availableParallelism());
  return {
    minThreads: Math.min(o.minThreads ?? 1, max),
    maxThreads: max,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    concurrentTasksPerWorker: o.concurrentTasksPerWorker ?? 'auto',
    cancelGraceMs: o.cancelGraceMs ?? 1_000,
    loadTimeoutMs: o.loadTimeoutMs ?? 10_000,
    recycleHeapBytes: o.recycleHeapMb ? o.recycleHeapMb * 1024 * 1024 : 0,
    heapCheckIntervalMs: 100,
    resourceLimits: o.resourceLimits,
  };
}
