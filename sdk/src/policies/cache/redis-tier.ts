/**
 * L3: cache entries in Redis, shared by every process, plus the lock that lets N processes
 * missing one key compute it once.
 *
 * An entry is one string: `{"f":<fresh until>,"s":<stale until>,"v":<value as JSON>}` with a
 * Redis expiry at its stale time (Redis drops it; the times inside decide freshness, so a fake
 * clock drives them in tests). The lock is `SET NX PX lockTtl` with a random token, released
 * only by its holder (compare-and-delete in Lua) and extended by it every `lockTtl / 3` while it
 * computes, so a slow computation keeps its lock and a holder that dies leaves a lock that
 * expires within `lockTtl`.
 */
import type { CacheStats } from './cache-stats.js';
import type { CacheRedisClient } from './redis-connection.js';
import type { LowerTier, TierEntry, TierWrite } from './tier.js';

const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** Shortest Redis expiry set on an entry, so a just-stale entry is not dropped mid-read. */
const MIN_PX = 1000;

/** The L3 tier of one task. `client()` resolves the shared connection (opened on first use). */
export class RedisCacheTier implements LowerTier {
  readonly level = 'l3';

  constructor(
    private readonly client: () => Promise<CacheRedisClient>,
    private readonly stats: CacheStats,
    /** Wall clock of the task (epoch ms), for Redis expiries. */
    private readonly wallNow: () => number,
    readonly ttl: () => number,
  ) {}

  /** The connected client, or undefined (counted) when Redis cannot be reached now. */
  private async ready(): Promise<CacheRedisClient | undefined> {
    try {
      const c = await this.client();
      if (c.status === 'ready') return c;
    } catch (err) {
      // A missing ioredis is the user's to fix, not a miss to count.
      if ((err as { code?: unknown }).code === 'FOX_CONFIG') throw err;
    }
    this.stats.l3.errors++;
    return undefined;
  }

  async get(key: string): Promise<TierEntry | undefined> {
    const c = await this.ready();
    if (!c) return undefined;
    let text: string | null;
    try {
      text = await c.get(key);
    } catch {
      this.stats.l3.errors++;
      return undefined;
    }
    if (text === null) return undefined;
    const entry = decodeEntry(text);
    if (entry === undefined) {
      this.stats.corrupt++;
      await c.del(key).catch(() => undefined);
    }
    return entry;
  }

  async set(key: string, entry: TierWrite): Promise<void> {
    if (entry.encoded === undefined) return;
    const c = await this.ready();
    if (!c) return;
    const text = `{"f":${Math.round(entry.freshUntil)},"s":${Math.round(entry.staleUntil)},"v":${entry.encoded}}`;
    const px = Math.max(MIN_PX, Math.ceil(entry.staleUntil - this.wallNow()));
    try {
      await c.set(key, text, 'PX', px);
    } catch {
      this.stats.l3.errors++;
    }
  }

  async delete(key: string): Promise<void> {
    const c = await this.ready();
    await c?.del(key).catch(() => undefined);
  }

  /**
   * Takes the fill lock of `lockKey` for `ttlMs`. True when taken; false when another process
   * holds it; undefined when Redis cannot be asked (the caller computes without a lock).
   */
  async tryLock(lockKey: string, token: string, ttlMs: number): Promise<boolean | undefined> {
    const c = await this.ready();
    if (!c) return undefined;
    try {
      return (await c.set(lockKey, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
    } catch {
      this.stats.l3.errors++;
      return undefined;
    }
  }

  /** True while someone holds the lock; undefined when Redis cannot be asked. */
  async locked(lockKey: string): Promise<boolean | undefined> {
    const c = await this.ready();
    if (!c) return undefined;
    try {
      return (await c.exists(lockKey)) === 1;
    } catch {
      this.stats.l3.errors++;
      return undefined;
    }
  }

  /** Pushes the lock's expiry `ttlMs` out while this token still holds it. */
  async extend(lockKey: string, token: string, ttlMs: number): Promise<void> {
    const c = await this.ready().catch(() => undefined);
    await c?.eval(EXTEND, 1, lockKey, token, String(Math.round(ttlMs))).catch(() => undefined);
  }

  /** Releases the lock if this token still holds it (an expired lock may be someone else's). */
  async unlock(lockKey: string, token: string): Promise<void> {
    const c = await this.ready().catch(() => undefined);
    await c?.eval(UNLOCK, 1, lockKey, token).catch(() => undefined);
  }
}

/** Parses a stored entry; undefined when it is not one (corrupt, or written by something else). */
export function decodeEntry(text: string): TierEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('v' in parsed)) return undefined;
  const { f, s, v } = parsed as { f?: unknown; s?: unknown; v: unknown };
  if (typeof f !== 'number' || typeof s !== 'number' || !Number.isFinite(f) || s < f) {
    return undefined;
  }
  return { value: v, freshUntil: f, staleUntil: s };
}
