import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { systemClock, type Clock } from '../../clock/clock.js';
import { FoxConfigError } from '../../errors/errors.js';
import { parseOptions } from '../../errors/parse-options.js';
import {
  RedisOptionSchema,
  connectionOptions,
  lockSettingsFor,
  type LockSettings,
} from '../../modes/dfox/index.js';
import { loadBullMQ } from '../../modes/dfox/bullmq-module.js';
import { dfoxCancelChannel, dfoxTimeoutsKey } from '../../protocol/dfox-job.js';
import type { Strategy } from '../../modes/strategy.js';
import type { Task } from '../../task/task.js';
import { runtime } from '../runtime.js';
import { createProcessor } from './job-processor.js';
import type { ProcessorCounters } from './processor-counters.js';
import { JobTargets } from './job-target.js';

const QueueNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s:]+$/, 'must not contain spaces or colons');

/** Options of `fox.worker()` and `fox worker`. */
export const FoxWorkerOptionsSchema = z
  .object({
    /** The queues to serve (at least one). */
    queues: z.array(QueueNameSchema).min(1, 'name at least one queue'),
    /** Jobs run at once per queue in this process (default 1). */
    concurrency: z.number().int().min(1).max(10_000).optional(),
    /** The project root task ids are resolved against (default FOX_PROJECT_ROOT, else cwd). */
    root: z.string().min(1).optional(),
    /** The queues' Redis (default: `fox.configure({ redis })`'s, else FOX_REDIS). */
    redis: RedisOptionSchema.optional(),
    /**
     * The longest timeout of the tasks on these queues, ms: sets BullMQ's lock duration and
     * stalled-check interval (a quarter each, see lock-settings.ts), so a job whose worker died
     * runs elsewhere within about half of it. Default: BullMQ's (30 s each).
     */
    jobTimeout: z.number().int().min(100).max(86_400_000).optional(),
    /** BullMQ key prefix (default `fox`, as callers use). */
    prefix: z.string().min(1).max(100).optional(),
  })
  .strict();
export type FoxWorkerOptions = z.input<typeof FoxWorkerOptionsSchema>;

/**
 * The longest timeout callers recorded for the tasks of `queues`, or undefined (no caller
 * has enqueued a task with a timeout yet, or Redis does not answer within a second).
 */
async function announcedTimeout(
  connection: Record<string, unknown>,
  prefix: string,
  queues: readonly string[],
): Promise<number | undefined> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    const read = Promise.all(queues.map((q) => client.hvals(dfoxTimeoutsKey(prefix, q))));
    const all = await Promise.race([
      read,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref()),
    ]);
    const ms = (all ?? [])
      .flat()
      .map(Number)
      .filter((n) => Number.isFinite(n) && n > 0);
    return ms.length > 0 ? Math.max(...ms) : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** A running Fox worker. */
export interface FoxWorker {
  readonly root: string;
  readonly queues: readonly string[];
  readonly locks: LockSettings;
  /** Jobs run to a result, refused (nothing run) and failed, in this process. */
  readonly counters: Readonly<ProcessorCounters>;
  /** Stops taking jobs, lets running ones finish, closes the connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker for `queues`: one BullMQ Worker per queue with Fox's generic processor, and a
 * subscription to the queues' cancel channel so a caller's abort reaches the running job.
 * Resolves once every queue is listening.
 */
export async function startFoxWorker(
  input: FoxWorkerOptions,
  defaults: { redis?: unknown; prefix?: string; clock?: Clock } = {},
): Promise<FoxWorker> {
  const options = parseOptions(FoxWorkerOptionsSchema, input);
  const redis =
    options.redis ?? (defaults.redis as FoxWorkerOptions['redis']) ?? process.env.FOX_REDIS;
  if (!redis) {
    throw new FoxConfigError(
      ['redis'],
      'a Fox worker needs a Redis: fox.worker({ redis }), fox.configure({ redis }) or FOX_REDIS',
    );
  }
  const clock = defaults.clock ?? systemClock;
  const bull = await loadBullMQ('a Fox worker');
  const connection = connectionOptions(redis);
  const prefix = options.prefix ?? defaults.prefix ?? 'fox';
  const targets = new JobTargets(options.root ?? process.env.FOX_PROJECT_ROOT ?? process.cwd());
  const counters: ProcessorCounters = { ran: 0, refused: 0, failed: 0 };
  // A CPU-heavy task runs on this machine's tfox pool, through the task's own tfox strategy.
  const pools = new WeakMap<Task, Strategy>();
  const pool = (task: Task): Strategy => {
    let s = pools.get(task);
    if (!s) pools.set(task, (s = runtime().createStrategy('tfox', task)));
    return s;
  };
  const processor = createProcessor(bull, targets, clock, counters, pool);
  const locks = lockSettingsFor(
    options.jobTimeout ?? (await announcedTimeout(connection, prefix, options.queues)),
  );
  const workers: Worker[] = options.queues.map(
    (name) =>
      new bull.Worker(name, processor, {
        connection,
        prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: locks.lockDuration,
        stalledInterval: locks.stalledInterval,
      }),
  );
  // Connection errors while Redis is down: BullMQ reconnects; a listener keeps them from
  // crashing the process as unhandled 'error' events.
  for (const w of workers) w.on('error', () => {});
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const subscriber = (await workers[0]!.client).duplicate() as unknown as Redis;
  subscriber.on('error', () => {});
  const channels = new Map(
    options.queues.map((q, i) => [dfoxCancelChannel(prefix, q), workers[i]!]),
  );
  subscriber.on('message', (channel: string, message: string) => {
    const worker = channels.get(channel);
    if (!worker) return;
    try {
      const { jobId, reason } = JSON.parse(message) as { jobId?: unknown; reason?: unknown };
      if (typeof jobId === 'string')
        worker.cancelJob(jobId, String(reason ?? 'cancelled by the caller'));
    } catch {
      // Not ours: ignored.
    }
  });
  await subscriber.subscribe(...channels.keys());
  let closing: Promise<void> | undefined;
  return {
    root: targets.root,
    queues: options.queues,
    locks,
    counters,
    close: () =>
      (closing ??= (async () => {
        await Promise.allSettled(workers.map((w) => w.close()));
        subscriber.disconnect();
      })()),
  };
}
