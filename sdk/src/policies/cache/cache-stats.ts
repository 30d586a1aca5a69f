import { CACHE_CODEC } from './value-codec.js';

/** Reads of one tier. */
export interface CacheTierCounts {
  /** Fresh values served. */
  hits: number;
  /** Stale values served while one call refreshed them (stale-while-revalidate). */
  staleHits: number;
  misses: number;
  /** Reads or writes that failed (unreachable Redis, a locked or full SQLite file). */
  errors: number;
}

/**
 * A cache policy's counters: per tier, and across them. Plain numbers bumped on the paths that
 * happen (an L1 hit adds one increment), read with `policies.get('cache').stats()`.
 */
export interface CacheStatsSnapshot {
  /** How the lower tiers encode values (`'json'`). */
  codec: typeof CACHE_CODEC;
  tiers: string[];
  l1: CacheTierCounts;
  l2: CacheTierCounts;
  l3: CacheTierCounts;
  /** Entries that could not be decoded: dropped and counted as a miss. */
  corrupt: number;
  /** Calls that joined a computation of the same key already running in this process. */
  coalesced: number;
  /** Calls that waited on another process's lock and got its value from Redis. */
  coalescedAcrossProcesses: number;
  /** Waits for another process's value that ran out of `lockWait`: computed here instead. */
  lockWaitTimeouts: number;
  /** Times the function ran to fill the cache (misses and refreshes). */
  computed: number;
  /** L2 entries this process evicted to keep `sqlite.maxEntries`. */
  evictions: number;
}

const counts = (): CacheTierCounts => ({ hits: 0, staleHits: 0, misses: 0, errors: 0 });

/** The mutable counters behind {@link CacheStatsSnapshot}. */
export class CacheStats {
  readonly l1 = counts();
  readonly l2 = counts();
  readonly l3 = counts();
  corrupt = 0;
  coalesced = 0;
  coalescedAcrossProcesses = 0;
  lockWaitTimeouts = 0;
  computed = 0;
  evictions = 0;

  snapshot(tiers: readonly string[]): CacheStatsSnapshot {
    return {
      codec: CACHE_CODEC,
      tiers: [...tiers],
      l1: { ...this.l1 },
      l2: { ...this.l2 },
      l3: { ...this.l3 },
      corrupt: this.corrupt,
      coalesced: this.coalesced,
      coalescedAcrossProcesses: this.coalescedAcrossProcesses,
      lockWaitTimeouts: this.lockWaitTimeouts,
      computed: this.computed,
      evictions: this.evictions,
    };
  }
}
