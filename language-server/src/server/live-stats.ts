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
