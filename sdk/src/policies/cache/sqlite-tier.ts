/**
 * L2: cache entries in a SQLite file (the store's, by default), per machine, surviving restarts.
 * Its table is the `cache` subsystem of the store, migrated by the store's one runner.
 *
 * Size: each task keeps at most `maxEntries` rows; a write past that evicts expired rows first,
 * then the least recently used. "Used" is refreshed on a read at most once a second per row, so
 * a hot key's hits do not each cost a write.
 */
import type { SqliteDatabase as Database } from '../../store/driver.js';
import type { SubsystemSchema } from '../../store/migration-runner.js';
import type { StoreModule } from '../../store/store-module.js';
import type { CacheStats } from './cache-stats.js';
import { decodeCacheValue } from './value-codec.js';
import type { LowerTier, TierEntry, TierWrite } from './tier.js';

/** Table `cache_entries`. */
export const CACHE_SCHEMA: SubsystemSchema = {
  subsystem: 'cache',
  migrations: [
    {
      version: 1,
      name: 'cache entries',
      up(db) {
        db.exec(`
          CREATE TABLE cache_entries (
            key         TEXT PRIMARY KEY,
            task        TEXT NOT NULL,
            value       TEXT NOT NULL,
            fresh_until INTEGER NOT NULL,
            stale_until INTEGER NOT NULL,
            used_at     INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX cache_entries_task_used ON cache_entries (task, used_at);
        `);
      },
    },
  ],
};

/** A stored row. */
export interface CacheRow {
  value: string;
  freshUntil: number;
  staleUntil: number;
  usedAt: number;
}

/** The queries of the `cache` subsystem. */
export interface CacheEntriesDb {
  get(key: string): CacheRow | undefined;
  /**
   * Writes an entry and keeps the task at `maxEntries` rows, in one transaction (one commit).
   * Returns how many rows it evicted.
   */
  put(
    key: string,
    task: string,
    value: string,
    freshUntil: number,
    staleUntil: number,
    now: number,
    maxEntries: number,
  ): number;
  touch(key: string, now: number): void;
  delete(key: string): void;
  /** Rows of a task. */
  count(task: string): number;
}

/** The cache's table in a store: `store.use(CACHE_ENTRIES)`. */
export const CACHE_ENTRIES: StoreModule<CacheEntriesDb> = {
  schema: CACHE_SCHEMA,
  bind: bindCacheEntries,
};

interface CacheRecord {
  value: string;
  fresh_until: number;
  stale_until: number;
  used_at: number;
}

function bindCacheEntries(db: Database): CacheEntriesDb {
  const get = db.prepare(
    'SELECT value, fresh_until, stale_until, used_at FROM cache_entries WHERE key = ?',
  );
  const put = db.prepare(
    `INSERT INTO cache_entries (key, task, value, fresh_until, stale_until, used_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, fresh_until = excluded.fresh_until,
       stale_until = excluded.stale_until, used_at = excluded.used_at`,
  );
  const touch = db.prepare('UPDATE cache_entries SET used_at = ? WHERE key = ?');
  const del = db.prepare('DELETE FROM cache_entries WHERE key = ?');
  const count = db.prepare('SELECT COUNT(*) FROM cache_entries WHERE task = ?').pluck();
  const evict = db.prepare(
    `DELETE FROM cache_entries WHERE key IN (
       SELECT key FROM cache_entries WHERE task = ?
       ORDER BY (stale_until <= ?) DESC, used_at ASC LIMIT ?)`,
  );
  return {
    get(key) {
      const r = get.get(key) as CacheRecord | undefined;
      return (
        r && {
          value: r.value,
          freshUntil: r.fresh_until,
          staleUntil: r.stale_until,
          usedAt: r.used_at,
        }
      );
    },
    put: db.transaction(
      (
        key: string,
        task: string,
        value: string,
        freshUntil: number,
        staleUntil: number,
        now: number,
        maxEntries: number,
      ): number => {
        const at = Math.round(now);
        put.run(key, task, value, Math.round(freshUntil), Math.round(staleUntil), at);
        const over = (count.get(task) as number) - maxEntries;
        return over > 0 ? evict.run(task, at, over).changes : 0;
      },
    ),
    touch(key, now) {
      touch.run(Math.round(now), key);
    },
    delete(key) {
      del.run(key);
    },
    count(task) {
      return count.get(task) as number;
    },
  };
}

/** Refresh a row's `used_at` on a read only when it is older than this. */
const TOUCH_GRANULARITY_MS = 1000;

/** The L2 tier of one task over a store's `cache_entries`. */
export class SqliteCacheTier implements LowerTier {
  readonly level = 'l2';

  constructor(
    /** The table, opened on first use; an open that fails (no driver, bad path) throws. */
    private readonly entries: () => CacheEntriesDb,
    private readonly task: string,
    private readonly maxEntries: () => number,
    private readonly stats: CacheStats,
    readonly ttl: () => number,
  ) {}

  get(key: string, now: number): TierEntry | undefined {
    const db = this.entries();
    let row: CacheRow | undefined;
    try {
      row = db.get(key);
    } catch {
      this.stats.l2.errors++;
      return undefined;
    }
    if (row === undefined) return undefined;
    if (now >= row.staleUntil) {
      this.delete(key);
      return undefined;
    }
    let value: unknown;
    try {
      value = decodeCacheValue(row.value);
    } catch {
      // Written by something else, or torn: a miss, and gone so the fill replaces it.
      this.stats.corrupt++;
      this.delete(key);
      return undefined;
    }
    if (now - row.usedAt >= TOUCH_GRANULARITY_MS) {
      try {
        db.touch(key, now);
      } catch {
        this.stats.l2.errors++;
      }
    }
    return { value, freshUntil: row.freshUntil, staleUntil: row.staleUntil };
  }

  set(key: string, entry: TierWrite, now: number): void {
    if (entry.encoded === undefined) return;
    const db = this.entries();
    try {
      this.stats.evictions += db.put(
        key,
        this.task,
        entry.encoded,
        entry.freshUntil,
        entry.staleUntil,
        now,
        this.maxEntries(),
      );
    } catch {
      this.stats.l2.errors++;
    }
  }

  delete(key: string): void {
    try {
      this.entries().delete(key);
    } catch {
      this.stats.l2.errors++;
    }
  }
}
