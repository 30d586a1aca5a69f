import type { CpuFunctionStats, CpuProfileFrame } from '@fox/sdk/protocol';

/**
 * One source function's sampled CPU summed over recent windows: what the language server needs
 * to confirm or refute "this function is CPU-bound / blocks the loop" for functions that are not
 * tasks yet. `file` is project-relative with forward slashes (the task-id rule), `line` and
 * `column` 1-based in the original source (the function's declaration as V8 and the source map
 * place it).
 */
export interface CpuFunctionView extends CpuFunctionStats {
  /** Of the busiest entry at this (file, line). */
  column: number;
  /** Of the busiest entry at this (file, line); `(anonymous)` for unnamed functions. */
  name: string;
  /** The longest synchronous stretch seen in any one window, ms. */
  longestSyncMs: number;
  /** Windows in which the function was sampled. */
  windows: number;
}

export interface CpuFunctionQuery {
  /** Sum windows that ended within this many minutes before `now`. Default 5. */
  minutes?: number;
  /** One process only. Default: every process of this profiler run. */
  processId?: string;
  /** At most this many functions, busiest (total time) first. Default 500. */
  limit?: number;
  /** "Now", epoch ms (tests). Default `Date.now()`. */
  now?: number;
}

/** Order of CPU sums: most total time first, then most self time. */
export function busiestFirst(
  a: Pick<CpuFunctionStats, 'totalMs' | 'selfMs'>,
  b: Pick<CpuFunctionStats, 'totalMs' | 'selfMs'>,
): number {
  return b.totalMs - a.totalMs || b.selfMs - a.selfMs;
}

/** Windows older than this are forgotten (the store keeps them). */
const MAX_AGE_MS = 30 * 60_000;
/** Windows kept over all processes: bounds memory whatever the senders do. */
const MAX_WINDOWS = 2000;

interface StoredWindow {
  processId: string;
  frame: CpuProfileFrame;
}

/**
 * The recent `cpu-profile` windows of every process this profiler run has seen, in memory and
 * bounded (by age and count), and their per-function sums on demand.
 */
export class CpuProfileWindows {
  /** Keyed by process and window start, so a window received twice counts once. */
  private readonly windows = new Map<string, StoredWindow>();

  constructor(
    private readonly maxAgeMs = MAX_AGE_MS,
    private readonly maxWindows = MAX_WINDOWS,
  ) {}

  add(processId: string, frame: CpuProfileFrame): void {
    const key = `${processId}\n${frame.from}`;
    this.windows.delete(key);
    this.windows.set(key, { processId, frame });
    this.trim(Date.now());
  }

  /** Per (file, line) sums over the windows that ended in the last `minutes`. */
  functions(query: CpuFunctionQuery = {}): CpuFunctionView[] {
    const now = query.now ?? Date.now();
    const since = now - Math.max(0, query.minutes ?? 5) * 60_000;
    const sums = new Map<string, CpuFunctionView & { best: number }>();
    for (const { processId, frame } of this.windows.values()) {
      if (frame.to < since || frame.from > now) continue;
      if (query.processId !== undefined && processId !== query.processId) continue;
      for (const f of frame.functions) {
        const key = `${f.file}\n${f.line}`;
        let sum = sums.get(key);
        if (!sum) {
          sum = { ...f, selfMs: 0, totalMs: 0, samples: 0, longestSyncMs: 0, windows: 0, best: -1 };
          sums.set(key, sum);
        }
        if (f.totalMs > sum.best) {
          sum.best = f.totalMs;
          sum.column = f.column;
          sum.name = f.name;
        }
        sum.selfMs += f.selfMs;
        sum.totalMs += f.totalMs;
        sum.samples += f.samples;
        sum.longestSyncMs = Math.max(sum.longestSyncMs, f.longestSyncMs ?? 0);
        sum.windows++;
      }
    }
    return [...sums.values()]
      .sort(busiestFirst)
      .slice(0, Math.max(0, query.limit ?? 500))
      .map(({ best: _best, ...view }) => view);
  }

  /** Windows held now (tests, counters). */
  get size(): number {
    return this.windows.size;
  }

  private trim(now: number): void {
    // Insertion order is arrival order: the oldest arrivals go first.
    for (const [key, w] of this.windows) {
      if (this.windows.size <= this.maxWindows && w.frame.to >= now - this.maxAgeMs) break;
      this.windows.delete(key);
    }
  }
}
