import type { CacheL2 } from '../options.js';
import type { CacheStats } from './cache-stats.js';
import type { LowerTier, TierEntry, TierWrite } from './tier.js';

/**
 * A user's own synchronous `l2` object (the option that predates the tiers) as a lower tier. It
 * keeps values as they are (no codec) and only a fresh-until time, so the stale window is
 * the task's `staleWhileRevalidate` after it.
 */
export class UserL2Tier implements LowerTier {
  readonly level = 'l2';

  constructor(
    private readonly l2: CacheL2,
    private readonly staleWindow: () => number,
    private readonly stats: CacheStats,
    readonly ttl: () => number,
  ) {}

  get(key: string): TierEntry | undefined {
    try {
      const hit = this.l2.get(key);
      if (!hit) return undefined;
      return {
        value: hit.value,
        freshUntil: hit.expiresAt,
        staleUntil: hit.expiresAt + this.staleWindow(),
      };
    } catch {
      this.stats.l2.errors++;
      return undefined;
    }
  }

  set(key: string, entry: TierWrite): void {
    try {
      this.l2.set(key, { value: entry.value, expiresAt: entry.freshUntil });
    } catch {
      this.stats.l2.errors++;
    }
  }

  delete(key: string): void {
    try {
      this.l2.delete?.(key);
    } catch {
      this.stats.l2.errors++;
    }
  }
}
