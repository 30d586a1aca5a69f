/**
 * Result cache: successful results by key, fresh for `ttl`, then served stale for
 * `staleWhileRevalidate` while one background call refreshes them. Misses are coalesced: while
 * a key's call is in flight, other calls for the key join it instead of running the function
 * again. Errors are never cached.
 *
 * Tiers (`tiers`, any prefix of `['memory', 'sqlite', 'redis']`): L1 is an in-memory LRU
 * (lru-cache, bounded by `max` entries) whose expiry is ours, on the task's clock, so fake clocks
 * and stale-while-revalidate work. Below it, L2 keeps entries in a SQLite file per machine
 * (cache/sqlite-tier.ts) and L3 in a Redis shared by every process (cache/redis-tier.ts). A read
 * falls through the tiers in order and a hit is written back into the tiers above it; a fill
 * writes every tier, each with its own TTL. With Redis, a miss takes a lock so that N processes
 * missing one key compute it once (the others wait, within `redis.lockWait`, for its value).
 * Lower tiers are best-effort: an unreachable tier or a corrupt entry is a counted miss, never
 * a failed call. The legacy `l2` option plugs a user's synchronous store in as L2.
 */
import { LRUCache } from 'lru-cache';
import type { Attempt, Call } from '../task/call.js';
import { tierKey } from './cache/cache-key.js';
import { CacheStats, type CacheStatsSnapshot } from './cache/cache-stats.js';
import { fillOnce, refreshOnce, type CrossProcessFill } from './cache/cross-process-fill.js';
import { buildLowerTiers } from './cache/lower-tiers.js';
import { redactConnection } from './cache/redis-connection.js';
import type { RedisCacheTier } from './cache/redis-tier.js';
import type { LowerTier, TierEntry } from './cache/tier.js';
import { encodeCacheValue } from './cache/value-codec.js';
import { PolicyBase, type ConfigOf, type PolicyContext, type PolicyEmitters } from './policy.js';

interface Entry {
  value: unknown;
  /** Monotonic ms (task clock) until which the value is fresh. */
  freshUntil: number;
  /** Until when it may be served stale. */
  staleUntil: number;
}

/** What a read below L1 found. */
interface LowerResult {
  value: unknown;
  /** Served stale: refresh it once the read has settled. */
  refresh: boolean;
}

/** Default key: one primitive argument as is, anything else as JSON of the argument list. */
export function defaultCacheKey(args: readonly unknown[]): string {
  if (args.length === 1) {
    const a = args[0];
    const t = typeof a;
    if (t === 'string') return a as string;
    if (t === 'number' || t === 'boolean' || t === 'bigint') return `${t[0]}:${String(a)}`;
  }
  return JSON.stringify(args, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export class CachePolicy extends PolicyBase<'cache'> {
  private l1: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly counters = new CacheStats();
  /** The tiers below L1, in read order. */
  private lower: LowerTier[] = [];
  private redis: RedisCacheTier | undefined;
  /** True when a lower tier stores text (SQLite, Redis): results must pass the JSON codec. */
  private encodes = false;

  constructor(config: ConfigOf<'cache'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('cache', config, ctx, emit);
    this.l1 = new LRUCache<string, Entry>({ max: config.max });
    this.buildTiers();
  }

  protected override configured(previous: ConfigOf<'cache'>): void {
    if (previous.max !== this.cfg.max) {
      const next = new LRUCache<string, Entry>({ max: this.cfg.max });
      // Oldest first, so the most recently used survive a smaller max.
      const entries = [...this.l1.entries()].reverse();
      for (const [k, v] of entries) next.set(k, v);
      this.l1 = next;
    }
    this.buildTiers();
  }

  private buildTiers(): void {
    const tiers = buildLowerTiers(() => this.cfg, this.ctx.taskId, this.ctx.clock, this.counters);
    this.lower = tiers.list;
    this.redis = tiers.redis;
    this.encodes = this.cfg.tiers.length > 1;
  }

  /** Entries in L1. */
  get size(): number {
    return this.l1.size;
  }

  /** Hits, misses and errors per tier, corrupt entries, coalesced calls (see the snapshot). */
  stats(): CacheStatsSnapshot {
    return this.counters.snapshot(this.cfg.l2 ? [...this.cfg.tiers, 'user l2'] : this.cfg.tiers);
  }

  /**
   * Drops one key from every tier, or everything from L1 (to drop what the lower tiers hold
   * for every key, bump `version`).
   */
  invalidate(key?: string): void {
    if (key === undefined) {
      this.l1.clear();
      return;
    }
    this.l1.delete(key);
    const tk = this.tierKeyOf(key);
    for (const tier of this.lower) void Promise.resolve(tier.delete(tk)).catch(() => undefined);
  }

  keyOf(args: readonly unknown[]): string {
    const fn = this.cfg.key;
    if (!fn) return defaultCacheKey(args);
    const k = fn(...args);
    return typeof k === 'string' ? k : String(k);
  }

  private tierKeyOf(key: string): string {
    return tierKey(this.ctx.taskId, this.cfg.version, key);
  }

  wrap(inner: Attempt): Attempt {
    const clock = this.ctx.clock;
    const l1 = this.counters.l1;
    return (call) => {
      let key: string;
      try {
        key = this.keyOf(call.args);
      } catch (err) {
        return Promise.reject(err);
      }
      const entry = this.l1.get(key);
      if (entry !== undefined) {
        const now = clock.now();
        if (now < entry.freshUntil) {
          l1.hits++;
          const e = this.emit.cacheHit;
          if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: 'l1', stale: false });
          return Promise.resolve(entry.value);
        }
        if (now < entry.staleUntil) {
          l1.staleHits++;
          const e = this.emit.cacheHit;
          if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: 'l1', stale: true });
          // Refresh in the background; this caller already has its answer.
          if (!this.inflight.has(key)) this.refresh(key, call, inner);
          return Promise.resolve(entry.value);
        }
      }
      l1.misses++;
      return this.miss(key, call, inner);
    };
  }

  private miss(key: string, call: Call, inner: Attempt): Promise<unknown> {
    const running = this.inflight.get(key);
    if (running) {
      this.counters.coalesced++;
      const e = this.emit.cacheMiss;
      if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, coalesced: true });
      return running;
    }
    const tk = this.lower.length > 0 ? this.tierKeyOf(key) : '';
    // The SQLite tier (and a user's l2) answer synchronously: no other call can interleave with
    // the read, so only the computation needs to be shared.
    let synced: LowerResult | undefined;
    try {
      synced = this.readSync(key, tk);
    } catch (err) {
      // Only a store that cannot be opened throws (no driver, a bad path): the user's to fix.
      return Promise.reject(err);
    }
    if (synced !== undefined) {
      if (synced.refresh && !this.inflight.has(key)) this.refresh(key, call, inner);
      return Promise.resolve(synced.value);
    }
    if (this.redis === undefined) {
      const e = this.emit.cacheMiss;
      if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, coalesced: false });
      return this.track(key, this.compute(key, call, inner));
    }
    const redis = this.redis;
    let read: Promise<LowerResult>;
    try {
      read = this.fromRedis(redis, key, tk, call, inner);
    } catch (err) {
      read = Promise.reject(err);
    }
    let refresh = false;
    const shared = this.track(
      key,
      read.then((r) => {
        refresh = r.refresh;
        return r.value;
      }),
    );
    // After `track` has let go of the key, so the refresh can take its place.
    shared.then(
      () => refresh && this.refreshUnlessRunning(key, call, inner),
      () => undefined,
    );
    return shared;
  }

  /** Shares `p` with every call for `key` until it settles. */
  private track(key: string, p: Promise<unknown>): Promise<unknown> {
    const shared: Promise<unknown> = p.then(
      (value) => {
        if (this.inflight.get(key) === shared) this.inflight.delete(key);
        return value;
      },
      (err: unknown) => {
        if (this.inflight.get(key) === shared) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, shared);
    return shared;
  }

  /** Reads the synchronous tiers (all but Redis) in order; a hit fills the tiers above it. */
  private readSync(key: string, tk: string): LowerResult | undefined {
    const last = this.redis === undefined ? this.lower.length : this.lower.length - 1;
    for (let i = 0; i < last; i++) {
      const tier = this.lower[i]!;
      const wall = this.ctx.clock.wallNow();
      const found = tier.get(tk, wall) as TierEntry | undefined;
      const hit = this.hitOf(key, tk, tier, i, found, wall);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Counts a tier's answer; on a hit writes it back above and says whether to refresh. */
  private hitOf(
    key: string,
    tk: string,
    tier: LowerTier,
    index: number,
    found: TierEntry | undefined,
    wall: number,
  ): LowerResult | undefined {
    const counts = this.counters[tier.level];
    if (found === undefined || wall >= found.staleUntil) {
      counts.misses++;
      return undefined;
    }
    const stale = wall >= found.freshUntil;
    if (stale) counts.staleHits++;
    else counts.hits++;
    const e = this.emit.cacheHit;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: tier.level, stale });
    this.fillAbove(key, tk, found, index);
    return { value: found.value, refresh: stale };
  }

  /** Reads L3 (the tiers above it missed), else computes the key once across processes. */
  private async fromRedis(
    redis: RedisCacheTier,
    key: string,
    tk: string,
    call: Call,
    inner: Attempt,
  ): Promise<LowerResult> {
    const found = await redis.get(tk);
    const hit = this.hitOf(key, tk, redis, this.lower.length - 1, found, this.ctx.clock.wallNow());
    if (hit) return hit;
    const e = this.emit.cacheMiss;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, coalesced: false });
    const value = await fillOnce(this.crossProcess(redis, key, tk, call, inner));
    return { value, refresh: false };
  }

  private crossProcess(
    redis: RedisCacheTier,
    key: string,
    tk: string,
    call: Call,
    inner: Attempt,
  ): CrossProcessFill {
    const { lockTtl, lockWait } = this.cfg.redis ?? { lockTtl: 10_000, lockWait: 5_000 };
    return {
      clock: this.ctx.clock,
      redis,
      stats: this.counters,
      tierKey: tk,
      lockTtl,
      lockWait,
      compute: () => this.compute(key, call, inner),
      adopt: (found) => this.fillAbove(key, tk, found, this.lower.indexOf(redis)),
    };
  }

  /**
   * Runs the function and stores a success in every tier; settles once every tier has it (so a
   * lock holder releases its lock only after Redis has the value). The function is called
   * synchronously, as the pipeline below expects.
   */
  private compute(key: string, call: Call, inner: Attempt): Promise<unknown> {
    this.counters.computed++;
    let p: Promise<unknown>;
    try {
      p = inner(call);
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then((value) => {
      const written = this.store(key, value);
      return written ? written.then(() => value) : value;
    });
  }

  /** Starts one background refresh of `key` unless a call for it is running already. */
  private refreshUnlessRunning(key: string, call: Call, inner: Attempt): void {
    if (!this.inflight.has(key)) this.refresh(key, call, inner);
  }

  /**
   * Background refresh of a stale key (stale-while-revalidate). With Redis it only runs when
   * it gets the key's lock at once: another process already refreshing it is enough.
   */
  private refresh(key: string, call: Call, inner: Attempt): void {
    const redis = this.redis;
    const run =
      redis === undefined
        ? this.compute(key, call, inner)
        : refreshOnce(this.crossProcess(redis, key, this.tierKeyOf(key), call, inner));
    this.track(key, run).catch(() => undefined);
  }

  /**
   * Writes a computed value to every tier, each with its own TTL. Throws FoxCacheValueError,
   * caching nothing, when the lower tiers cannot hold it. Returns a promise only when a tier
   * (Redis) writes asynchronously.
   */
  private store(key: string, value: unknown): Promise<void> | undefined {
    const cfg = this.cfg;
    const encoded = this.encodes ? encodeCacheValue(this.ctx.taskId, value) : undefined;
    this.storeL1(key, value, cfg.ttl, Infinity);
    if (this.lower.length === 0) return undefined;
    const tk = this.tierKeyOf(key);
    const wall = this.ctx.clock.wallNow();
    let pending: Promise<void> | undefined;
    for (const tier of this.lower) {
      const freshUntil = wall + tier.ttl();
      const staleUntil = freshUntil + cfg.staleWhileRevalidate;
      const written = tier.set(tk, { value, encoded, freshUntil, staleUntil }, wall);
      if (written) pending = written;
    }
    return pending;
  }

  /**
   * Writes a value found in lower tier `index` back into L1 and the tiers above it (all
   * synchronous: only Redis, the last tier, is not).
   */
  private fillAbove(key: string, tk: string, found: TierEntry, index: number): void {
    const cfg = this.cfg;
    const wall = this.ctx.clock.wallNow();
    // No copy outlives the entry it came from: each tier's TTL, capped by the source's times.
    this.storeL1(
      key,
      found.value,
      Math.min(cfg.ttl, found.freshUntil - wall),
      found.staleUntil - wall,
    );
    let encoded: string | undefined;
    for (let i = 0; i < index; i++) {
      const tier = this.lower[i]!;
      encoded ??= JSON.stringify(found.value);
      const freshUntil = Math.min(wall + tier.ttl(), found.freshUntil);
      const staleUntil = Math.min(freshUntil + cfg.staleWhileRevalidate, found.staleUntil);
      void tier.set(tk, { value: found.value, encoded, freshUntil, staleUntil }, wall);
    }
  }

  /** Puts a value in L1, fresh for `freshMs` and stale at most `staleMs` from now. */
  private storeL1(key: string, value: unknown, freshMs: number, staleMs: number): void {
    const now = this.ctx.clock.now();
    const freshUntil = now + freshMs;
    const staleUntil = Math.min(freshUntil + this.cfg.staleWhileRevalidate, now + staleMs);
    this.l1.set(key, { value, freshUntil, staleUntil });
  }

  /** As every policy's, with the cache Redis's credentials left out. */
  override describe(): { kind: 'cache'; config: Record<string, unknown> } {
    const out = super.describe();
    const redis = out.config.redis as Record<string, unknown> | undefined;
    if (redis?.connection !== undefined) {
      out.config.redis = { ...redis, connection: redactConnection(redis.connection) };
    }
    return out;
  }

  override dispose(): void {
    this.l1.clear();
    this.inflight.clear();
  }
}
