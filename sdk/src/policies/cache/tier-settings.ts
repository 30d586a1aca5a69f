/**
 * Process-wide defaults of the cache tiers, set by `fox.configure({ store, cacheRedis })` (the
 * wiring layer calls {@link configureCacheTiers}), and the connections opened from them: one
 * SQLite connection per file and one Redis client per connection, shared by every task.
 */
import { resolve } from 'node:path';
import { FoxConfigError } from '../../errors/errors.js';
import { processSlot } from '../../state/process-state.js';
import { DEFAULT_STORE_PATH, openStore, type FoxStore } from '../../store/store.js';
import type { CacheRedisConnection } from '../options.js';
import { cacheRedisClient, closeCacheRedisClients } from './redis-connection.js';
import { CACHE_ENTRIES, type CacheEntriesDb } from './sqlite-tier.js';

/** The environment variable naming the cache's Redis when nothing else does. */
export const CACHE_REDIS_ENV = 'FOX_CACHE_REDIS';

/** Defaults every cache policy of the process falls back on. */
export interface CacheTierSettings {
  /** `fox.configure({ cacheRedis })`: the cache's own Redis (never the queue's `redis`). */
  redis?: CacheRedisConnection | undefined;
  /** `fox.configure({ store })`: L2 lives in the store's file unless `cache.sqlite.path` says. */
  storePath?: string | undefined;
}

interface State {
  settings: CacheTierSettings;
  stores: Map<string, { store: FoxStore; entries: CacheEntriesDb }>;
}

const state = (): State =>
  processSlot('policies.cache.tiers.v1', () => ({ settings: {}, stores: new Map() }));

/**
 * Sets the process defaults (keys given replace, `undefined` clears). A Redis given here is
 * connected at once, so that a `noeviction` warning comes at start-up rather than at the first
 * cached call; failing to connect now is not an error (calls count it and retry).
 */
export function configureCacheTiers(settings: CacheTierSettings): void {
  const s = state();
  s.settings = { ...s.settings, ...settings };
  if (settings.redis !== undefined) cacheRedisClient(settings.redis).catch(() => undefined);
}

/** The cache's Redis: the task's option, else `fox.configure`, else `FOX_CACHE_REDIS`. */
export function resolveCacheRedis(
  option: CacheRedisConnection | undefined,
  taskId: string,
): CacheRedisConnection {
  const found = option ?? state().settings.redis ?? (process.env[CACHE_REDIS_ENV] || undefined);
  if (found === undefined) {
    throw new FoxConfigError(
      ['cache', 'redis', 'connection'],
      `the 'redis' tier has no connection: give cache.redis.connection, ` +
        `fox.configure({ cacheRedis }) or ${CACHE_REDIS_ENV} (a Redis of its own, not the queue's)`,
      taskId,
    );
  }
  return found;
}

/** The L2 table in the file `option` (else the store's file, else `.fox/fox.db`), opened once. */
export function cacheEntriesAt(option: string | undefined): CacheEntriesDb {
  const s = state();
  const setting = option ?? s.settings.storePath ?? DEFAULT_STORE_PATH;
  const path = setting === ':memory:' ? setting : resolve(setting);
  let open = s.stores.get(path);
  if (open === undefined) {
    const store = openStore({ path });
    open = { store, entries: store.use(CACHE_ENTRIES) };
    s.stores.set(path, open);
  }
  return open.entries;
}

/** Closes the cache's SQLite connections and Redis clients (on `fox.shutdown()`). */
export async function closeCacheTiers(): Promise<void> {
  const s = state();
  for (const { store } of s.stores.values()) {
    try {
      store.close();
    } catch {
      // Already closed.
    }
  }
  s.stores.clear();
  await closeCacheRedisClients();
}
