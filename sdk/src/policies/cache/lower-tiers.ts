import type { Clock } from '../../clock/clock.js';
import type { CacheConfig } from '../options.js';
import type { CacheStats } from './cache-stats.js';
import { cacheRedisClient } from './redis-connection.js';
import { RedisCacheTier } from './redis-tier.js';
import { SqliteCacheTier } from './sqlite-tier.js';
import type { LowerTier } from './tier.js';
import { cacheEntriesAt, resolveCacheRedis } from './tier-settings.js';
import { UserL2Tier } from './user-l2-tier.js';

/** A cache's tiers below L1, in read order, and its Redis tier (always last) if it has one. */
export interface LowerTiers {
  list: LowerTier[];
  redis: RedisCacheTier | undefined;
}

/**
 * Builds the tiers below L1 for a task's cache config. Nothing is opened here: the SQLite file
 * and the Redis connection are opened on first use and shared by the process's tasks.
 * `config` is read on every use, so `configure()` changes TTLs and bounds in place.
 */
export function buildLowerTiers(
  config: () => CacheConfig,
  taskId: string,
  clock: Clock,
  stats: CacheStats,
): LowerTiers {
  const cfg = config();
  const list: LowerTier[] = [];
  if (cfg.l2) {
    const l2 = cfg.l2;
    list.push(
      new UserL2Tier(
        l2,
        () => config().staleWhileRevalidate,
        stats,
        () => config().ttl,
      ),
    );
  }
  if (cfg.tiers.includes('sqlite')) {
    const path = cfg.sqlite?.path;
    list.push(
      new SqliteCacheTier(
        () => cacheEntriesAt(path),
        taskId,
        () => config().sqlite?.maxEntries ?? 10_000,
        stats,
        () => config().sqlite?.ttl ?? config().ttl,
      ),
    );
  }
  let redis: RedisCacheTier | undefined;
  if (cfg.tiers.includes('redis')) {
    const option = cfg.redis?.connection;
    redis = new RedisCacheTier(
      () => cacheRedisClient(resolveCacheRedis(option, taskId)),
      stats,
      () => clock.wallNow(),
      () => config().redis?.ttl ?? config().ttl,
    );
    list.push(redis);
  }
  return { list, redis };
}
