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
     * Workers to start, each importing the tfox tasks' modules, shortly after the first tfox
     * task is registered (20 ms; one import at a time), so the first calls find them ready
     * instead of waiting for a thread and an import. `false` (or 0) starts workers at the first
     * call instead. Default: `minThreads`, or up to 4 within `maxThreads`; those above
     * `minThreads` stop after `idleTimeoutMs` without a call. Never keeps a program alive.
     */
    prewarm: z.union([z.literal(false), z.number().int().min(0).max(1024)]).optional(),
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

/**
 * Workers started ahead of the first call by default: enough for a first burst to run on
 * ready workers on common machines (calls go out about two per worker at first), while a
 * program that never calls pays for a few threads and imports, not one per core.
 */
const DEFAULT_PREWARM = 4;

export interface ResolvedPoolOptions {
  minThreads: number;
  maxThreads: number;
  idleTimeoutMs: number;
  concurrentTasksPerWorker: 'auto' | number;
  cancelGraceMs: number;
  loadTimeoutMs: number;
  /** Workers to start ahead of the first call (0: none); within `maxThreads`. */
  prewarmThreads: number;
  recycleHeapBytes: number;
  /** Least time between two heap checks in a worker (not configurable: tests set 0). */
  heapCheckIntervalMs: number;
  resourceLimits: z.output<typeof PoolOptionsSchema>['resourceLimits'];
}

export function resolvePoolOptions(
  o: z.output<typeof PoolOptionsSchema> = {},
): ResolvedPoolOptions {
  const max = o.maxThreads ?? Math.max(1, availableParallelism());
  const min = Math.min(o.minThreads ?? 1, max);
  return {
    minThreads: min,
    maxThreads: max,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    concurrentTasksPerWorker: o.concurrentTasksPerWorker ?? 'auto',
    cancelGraceMs: o.cancelGraceMs ?? 1_000,
    loadTimeoutMs: o.loadTimeoutMs ?? 10_000,
    prewarmThreads:
      o.prewarm === false ? 0 : Math.min(max, o.prewarm ?? Math.max(min, DEFAULT_PREWARM)),
    recycleHeapBytes: o.recycleHeapMb ? o.recycleHeapMb * 1024 * 1024 : 0,
    heapCheckIntervalMs: 100,
    resourceLimits: o.resourceLimits,
  };
}
