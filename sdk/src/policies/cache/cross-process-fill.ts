/**
 * Computing a missing key once across processes, through the L3 Redis: the process that takes
 * the key's lock runs the function (extending the lock every `lockTtl / 3` while it does, so a
 * long computation keeps it and a dead process's lock expires within `lockTtl`); the others poll
 * Redis for its value (5 ms, doubling to 50 ms) and take the lock over when it is gone without a
 * value (the holder died, or its call failed: errors are not shared). A waiter computes for
 * itself after `lockWait`, so no caller waits longer than that (plus one poll) for another.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../clock/clock.js';
import { lockKeyOf } from './cache-key.js';
import type { CacheStats } from './cache-stats.js';
import type { RedisCacheTier } from './redis-tier.js';
import type { TierEntry } from './tier.js';

export interface CrossProcessFill {
  clock: Clock;
  redis: RedisCacheTier;
  stats: CacheStats;
  /** The key's name in the lower tiers. */
  tierKey: string;
  lockTtl: number;
  lockWait: number;
  /** Runs the function and stores its value in every tier. */
  compute(): Promise<unknown>;
  /** Takes a value another process stored (writes it into the tiers above Redis). */
  adopt(found: TierEntry): void;
}

/** The key's value: computed here under its lock, or another process's, or computed here late. */
export async function fillOnce(f: CrossProcessFill): Promise<unknown> {
  const { clock, redis } = f;
  const lockKey = lockKeyOf(f.tierKey);
  const token = randomUUID();
  const deadline = clock.now() + f.lockWait;
  for (;;) {
    const locked = await redis.tryLock(lockKey, token, f.lockTtl);
    // Redis unreachable: nobody can coordinate, compute here.
    if (locked === undefined) return f.compute();
    if (locked) return whileLocked(f, lockKey, token);
    let pause = 5;
    for (;;) {
      if (clock.now() >= deadline) {
        f.stats.lockWaitTimeouts++;
        return f.compute();
      }
      await new Promise<void>((resolve) => clock.setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 50);
      const found = await readFresh(f);
      if (found) return adopted(f, found);
      if ((await redis.locked(lockKey)) === false) {
        // The holder writes its value before unlocking: look once more, then take over.
        const late = await readFresh(f);
        if (late) return adopted(f, late);
        break;
      }
    }
  }
}

/**
 * A stale key's background refresh: runs only when it gets the lock at once (another process
 * already refreshing it is enough). Resolves undefined when it did not run.
 */
export async function refreshOnce(f: CrossProcessFill): Promise<unknown> {
  const lockKey = lockKeyOf(f.tierKey);
  const token = randomUUID();
  const locked = await f.redis.tryLock(lockKey, token, f.lockTtl);
  if (locked === false) return undefined;
  if (locked === undefined) return f.compute();
  return whileLocked(f, lockKey, token);
}

function adopted(f: CrossProcessFill, found: TierEntry): unknown {
  f.stats.coalescedAcrossProcesses++;
  f.adopt(found);
  return found.value;
}

async function readFresh(f: CrossProcessFill): Promise<TierEntry | undefined> {
  const found = await f.redis.get(f.tierKey);
  return found !== undefined && f.clock.wallNow() < found.staleUntil ? found : undefined;
}

/** Runs the computation holding a lock already taken, extending it meanwhile; releases it. */
async function whileLocked(f: CrossProcessFill, lockKey: string, token: string): Promise<unknown> {
  const { clock, redis, lockTtl } = f;
  let stopped = false;
  let timer: TimerHandle | undefined;
  const arm = (): void => {
    timer = clock.setTimeout(() => {
      void redis.extend(lockKey, token, lockTtl).then(() => {
        if (!stopped) arm();
      });
    }, lockTtl / 3);
    timer.unref?.();
  };
  arm();
  try {
    return await f.compute();
  } finally {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    await redis.unlock(lockKey, token);
  }
}
