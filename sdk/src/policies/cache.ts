/**
 * Result cache: successful results by key, fresh for `ttl`, then served stale for
 * `staleWhileRevalidate` while one background call refreshes them. Misses are coalesced: while
 * a key's call is in flight, other calls for the key join it instead of running the function
 * again. Errors are never cached.
 *
 * L1 is an in-memory LRU (lru-cache, bounded by `max` entries); expiry is ours, on the task's
 * clock, so fake clocks and stale-while-revalidate work. L2 is the opt-in {@link CacheL2}
 * (the store's SQLite table; that implementation lives with the store): read on an L1 miss,
 * written on every fill, best-effort (an L2 error never fails a call).
 */
import { LRUCache } from 'lru-cache';
import type { Attempt, Call } from '../task/call.js';
import type { CacheL2 } from './options.js';
import { PolicyBase, type ConfigOf, type PolicyContext, type PolicyEmitters } from './policy.js';

interface Entry {
  value: unknown;
  /** Monotonic ms (task clock) until which the value is fresh. */
  freshUntil: number;
  /** Until when it may be served stale. */
  staleUntil: number;
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
  /** Wall-clock offset, so L2 entries (epoch ms) and the task clock (monotonic) agree. */
  private readonly wallOffset: number;

  constructor(config: ConfigOf<'cache'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('cache', config, ctx, emit);
    this.l1 = new LRUCache<string, Entry>({ max: config.max });
    this.wallOffset = Date.now() - ctx.clock.now();
  }

  protected override configured(previous: ConfigOf<'cache'>): void {
    if (previous.max !== this.cfg.max) {
      const next = new LRUCache<string, Entry>({ max: this.cfg.max });
      // Oldest first, so the most recently used survive a smaller max.
      const entries = [...this.l1.entries()].reverse();
      for (const [k, v] of entries) next.set(k, v);
      this.l1 = next;
    }
  }

  /** Entries in L1. */
  get size(): number {
    return this.l1.size;
  }

  /** Drops one key (or everything) from L1 and, for one key, L2. */
  invalidate(key?: string): void {
    if (key === undefined) {
      this.l1.clear();
      return;
    }
    this.l1.delete(key);
    const l2 = this.cfg.l2;
    if (l2 && l2.delete) {
      try {
        l2.delete(key);
      } catch {
        // Best-effort, like every L2 access.
      }
    }
  }

  keyOf(args: readonly unknown[]): string {
    const fn = this.cfg.key;
    if (!fn) return defaultCacheKey(args);
    const k = fn(...args);
    return typeof k === 'string' ? k : String(k);
  }

  wrap(inner: Attempt): Attempt {
    const clock = this.ctx.clock;
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
          const e = this.emit.cacheHit;
          if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: 'l1', stale: false });
          return Promise.resolve(entry.value);
        }
        if (now < entry.staleUntil) {
          const e = this.emit.cacheHit;
          if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: 'l1', stale: true });
          if (!this.inflight.has(key)) {
            // Refresh in the background; this caller already has its answer.
            this.fill(key, call, inner).catch(() => undefined);
          }
          return Promise.resolve(entry.value);
        }
      }
      return this.miss(key, call, inner);
    };
  }

  private miss(key: string, call: Call, inner: Attempt): Promise<unknown> {
    const running = this.inflight.get(key);
    if (running) {
      const e = this.emit.cacheMiss;
      if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, coalesced: true });
      return running;
    }
    const fromL2 = this.readL2(key);
    if (fromL2 !== undefined) {
      const e = this.emit.cacheHit;
      if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, level: 'l2', stale: false });
      return Promise.resolve(fromL2.value);
    }
    const e = this.emit.cacheMiss;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, key, coalesced: false });
    return this.fill(key, call, inner);
  }

  /** Runs the call once for `key`, shared by everyone asking meanwhile; stores a success. */
  private fill(key: string, call: Call, inner: Attempt): Promise<unknown> {
    let p: Promise<unknown>;
    try {
      p = inner(call);
    } catch (err) {
      p = Promise.reject(err);
    }
    const shared = p.then(
      (value) => {
        if (this.inflight.get(key) === shared) this.inflight.delete(key);
        this.store(key, value);
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

  private store(key: string, value: unknown): void {
    const cfg = this.cfg;
    const now = this.ctx.clock.now();
    const freshUntil = now + cfg.ttl;
    this.l1.set(key, { value, freshUntil, staleUntil: freshUntil + cfg.staleWhileRevalidate });
    const l2 = cfg.l2;
    if (l2) {
      try {
        l2.set(key, { value, expiresAt: freshUntil + this.wallOffset });
      } catch {
        // Best-effort: the store being unavailable must not fail the call.
      }
    }
  }

  private readL2(key: string): Entry | undefined {
    const l2: CacheL2 | false | undefined = this.cfg.l2;
    if (!l2) return undefined;
    let hit: ReturnType<CacheL2['get']>;
    try {
      hit = l2.get(key);
    } catch {
      return undefined;
    }
    if (!hit) return undefined;
    const freshUntil = hit.expiresAt - this.wallOffset;
    if (this.ctx.clock.now() >= freshUntil) return undefined;
    const entry = {
      value: hit.value,
      freshUntil,
      staleUntil: freshUntil + this.cfg.staleWhileRevalidate,
    };
    this.l1.set(key, entry);
    return entry;
  }

  override dispose(): void {
    this.l1.clear();
    this.inflight.clear();
  }
}
