/**
 * What the cache policy asks of a tier below L1. Entries carry wall-clock times (epoch ms from
 * the task's clock), because they are shared with other processes and outlive this one.
 */

/** A value read from a lower tier. */
export interface TierEntry {
  value: unknown;
  /** Epoch ms until which the value is fresh. */
  freshUntil: number;
  /** Epoch ms until which it may be served stale while one call refreshes it. */
  staleUntil: number;
}

/** A value to write: already encoded once (by the JSON codec) for every tier that stores text. */
export interface TierWrite {
  value: unknown;
  /** The value as JSON ({@link encodeCacheValue}); undefined for a tier that keeps objects. */
  encoded: string | undefined;
  freshUntil: number;
  staleUntil: number;
}

/** One tier below L1 (`l2`: SQLite or a user's `l2` object; `l3`: Redis). */
export interface LowerTier {
  readonly level: 'l2' | 'l3';
  /** How long a value written here stays fresh (ms): the tier's own TTL. */
  ttl(): number;
  /**
   * The entry under `key`, or undefined for a miss. Never throws: an unreachable tier is a miss
   * and an undecodable entry is a miss (both counted by the tier).
   */
  get(key: string, now: number): Promise<TierEntry | undefined> | TierEntry | undefined;
  /** Stores an entry, best-effort (never throws). */
  set(key: string, entry: TierWrite, now: number): Promise<void> | void;
  /** Drops an entry, best-effort. */
  delete(key: string): Promise<void> | void;
}
