import { existsSync } from 'node:fs';
import { LatencyHistogram, openStore, type FoxStore } from '@fox/sdk';

/** Live numbers for one task, as the profiler's store aggregates them. */
export interface TaskLiveStats {
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  calls: number;
  errors: number;
}

/**
 * Source of live numbers for hover and code lens. The profiler store (`.fox/fox.db`) will
 * implement it; until then the server works with none, or with one injected by its host.
 */
export interface LiveStats {
  forTask(id: string): TaskLiveStats | undefined;
}

/** The provider used when none is given: never has data ("no data yet"). */
export const NO_LIVE_STATS: LiveStats = { forTask: () => undefined };

/** `p50 12 ms · p99 80 ms · 1.2k calls · 3 errors`. */
export function formatLiveStats(s: TaskLiveStats): string {
  const ms = (v: number): string =>
    v >= 100 ? `${Math.round(v)} ms` : `${Number(v.toPrecision(2))} ms`;
  const count = (n: number): string =>
    n >= 1_000_000
      ? `${(n / 1_000_000).toFixed(1)}M`
      : n >= 1000
        ? `${(n / 1000).toFixed(1)}k`
        : `${n}`;
  return `p50 ${ms(s.p50)} · p99 ${ms(s.p99)} · ${count(s.calls)} calls · ${count(s.errors)} errors`;
}

/** How far back hover and code lens look, and how long an answer is reused. */
const WINDOW_MS = 5 * 60_000;
const CACHE_MS = 2_000;

/**
 * Live numbers from the profiler's SQLite store (`.fox/fox.db` under the workspace): calls and
 * errors over the last five minutes, and p50/p99 of their merged latency histograms (exact
 * merge, not an average of percentiles). The store is opened when it appears and read on
 * demand; any problem reading it means "no data", never a failed request.
 */
export class StoreLiveStats implements LiveStats {
  private store: FoxStore | undefined;
  private readonly cache = new Map<string, { at: number; value: TaskLiveStats | undefined }>();

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {}

  forTask(id: string): TaskLiveStats | undefined {
    const hit = this.cache.get(id);
    const now = this.now();
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = this.read(id, now);
    this.cache.set(id, { at: now, value });
    return value;
  }

  private read(id: string, now: number): TaskLiveStats | undefined {
    try {
      if (!this.store) {
        if (!existsSync(this.path)) return undefined;
        this.store = openStore({ path: this.path });
      }
      const rows = this.store.taskHistory(id, now - WINDOW_MS);
      if (rows.length === 0) return undefined;
      const latency = new LatencyHistogram();
      let calls = 0;
      let errors = 0;
      for (const row of rows) {
        calls += row.calls;
        errors += row.errors;
        if (row.histogram) latency.merge(LatencyHistogram.decode(row.histogram));
      }
      return { calls, errors, p50: latency.quantile(0.5), p99: latency.quantile(0.99) };
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.store?.close();
    this.store = undefined;
  }
}
