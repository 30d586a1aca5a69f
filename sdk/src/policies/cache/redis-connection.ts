/**
 * The cache's Redis connections (L3). ioredis is an optional peer dependency of the sdk: it is
 * imported the first time a task with the `redis` tier fills or reads it, never before, so
 * programs without an L3 cache never load it.
 *
 * The cache's Redis must not be the queue's: BullMQ (dfox) needs `maxmemory-policy noeviction`,
 * which a cache that fills memory turns into write errors; a cache wants `allkeys-lru`. Give
 * the cache its own server, or its own logical database on a server whose policy suits both
 * (there is one policy per server). On connecting, a `noeviction` server gets a warning.
 */
import { FoxConfigError } from '../../errors/errors.js';
import { processSlot } from '../../state/process-state.js';
import type { CacheRedisConnection } from '../options.js';

/** The npm package loaded for the `redis` tier, and what a user installs. */
export const REDIS_CLIENT_PACKAGE = 'ioredis';

/** The ioredis client, reduced to the commands the cache uses. */
export interface CacheRedisClient {
  readonly status: string;
  connect(): Promise<void>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>;
  exists(key: string): Promise<number>;
  del(key: string): Promise<number>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  config(op: 'GET', name: string): Promise<unknown>;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

type RedisConstructor = new (...args: unknown[]) => CacheRedisClient;

/**
 * Loads ioredis with a dynamic import (resolved from the sdk, where a peer dependency is
 * installed; tests pass `load`). Throws {@link FoxConfigError} naming the package when absent.
 */
export async function loadRedisClient(
  load: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<RedisConstructor> {
  let mod: { Redis?: unknown; default?: unknown };
  try {
    mod = (await load(REDIS_CLIENT_PACKAGE)) as typeof mod;
  } catch (err) {
    throw new FoxConfigError(
      ['cache', 'tiers'],
      `the 'redis' tier needs the optional package '${REDIS_CLIENT_PACKAGE}', which could not ` +
        `be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). ` +
        `Add it with \`npm i ${REDIS_CLIENT_PACKAGE}\`, or drop 'redis' from the tiers.`,
    );
  }
  const ctor = mod.Redis ?? mod.default;
  if (typeof ctor !== 'function') {
    throw new FoxConfigError(
      ['cache', 'tiers'],
      `the module '${REDIS_CLIENT_PACKAGE}' has no Redis client export`,
    );
  }
  return ctor as RedisConstructor;
}

/**
 * Options that keep a cache from ever waiting on Redis longer than a read is worth: commands
 * fail at once while disconnected (no offline queue) and after `commandTimeout`; ioredis keeps
 * reconnecting in the background, and the tier is used again once it is back.
 */
const CACHE_CLIENT_DEFAULTS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
};

interface Connections {
  open: Map<string, Promise<CacheRedisClient>>;
  /** Connections already checked for `noeviction` (one warning per server). */
  warned: Set<string>;
}

const connections = (): Connections =>
  processSlot('policies.cache.redis.v1', () => ({ open: new Map(), warned: new Set() }));

/**
 * The process's client for `connection` (one per distinct connection, shared by every task).
 * Resolves once connected; a Redis that is down rejects the first call's promise only (the
 * next call tries again, ioredis reconnecting meanwhile).
 */
export function cacheRedisClient(connection: CacheRedisConnection): Promise<CacheRedisClient> {
  const id = typeof connection === 'string' ? connection : JSON.stringify(connection);
  const all = connections();
  const existing = all.open.get(id);
  if (existing) return existing;
  const opening = (async () => {
    const Redis = await loadRedisClient();
    const client =
      typeof connection === 'string'
        ? new Redis(connection, CACHE_CLIENT_DEFAULTS)
        : new Redis({ ...CACHE_CLIENT_DEFAULTS, ...connection });
    // Without a listener ioredis prints every reconnect failure; the tier counts errors instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw err;
    }
    await warnOnNoEviction(client, id, connection, all.warned);
    return client;
  })();
  all.open.set(id, opening);
  opening.catch(() => {
    if (all.open.get(id) === opening) all.open.delete(id);
  });
  return opening;
}

/** The warning's type, for `process.on('warning')`. */
export const CACHE_WARNING = 'FoxCacheWarning';

async function warnOnNoEviction(
  client: CacheRedisClient,
  id: string,
  connection: CacheRedisConnection,
  warned: Set<string>,
): Promise<void> {
  if (warned.has(id)) return;
  warned.add(id);
  let policy: unknown;
  try {
    policy = await client.config('GET', 'maxmemory-policy');
  } catch {
    return; // CONFIG is often disabled on managed Redis: nothing to check.
  }
  if (Array.isArray(policy) && policy[1] === 'noeviction') {
    process.emitWarning(
      `The fox cache's Redis (${JSON.stringify(redactConnection(connection))}) has maxmemory-policy noeviction: once it is full, ` +
        `cache writes fail instead of evicting old entries. Give the cache its own Redis (or a ` +
        `server with allkeys-lru); the dfox queue's Redis needs noeviction, so they cannot share one.`,
      CACHE_WARNING,
    );
  }
}

/** A Redis URL or ioredis options without credentials (for warnings and `describe()`). */
export function redactConnection(connection: unknown): unknown {
  if (typeof connection === 'string') return connection.replace(/\/\/[^@/]*@/, '//***@');
  if (typeof connection !== 'object' || connection === null) return connection;
  const out: Record<string, unknown> = { ...(connection as Record<string, unknown>) };
  for (const k of ['password', 'username', 'tls']) if (k in out) out[k] = '***';
  return out;
}

/** Closes every cache Redis connection of the process (on `fox.shutdown()`). */
export async function closeCacheRedisClients(): Promise<void> {
  const all = connections();
  const open = [...all.open.values()];
  all.open.clear();
  await Promise.all(
    open.map(async (p) => {
      try {
        const c = await p;
        await c.quit().catch(() => c.disconnect());
      } catch {
        // It never connected: nothing to close.
      }
    }),
  );
}
