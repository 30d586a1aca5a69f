import { existsSync } from 'node:fs';
import { LatencyHistogram } from '@fox/sdk/telemetry';
import { openStore, type FoxStore } from '@fox/sdk/store';
import type {
  EvidenceWindow,
  IntervalCounts,
  LiveStatsParams,
  RunningOptions,
} from '../runtime-evidence/live-stats-protocol.js';

/** Measured numbers for one task: live from the editor's profiler, or read from the store. */
export interface TaskLiveStats {
  /** Latency percentiles in ms. */
  p50: number;
  p95?: number;
  p99: number;
  calls: number;
  errors: number;
  /** Declared mode and the strategy in use, when the source of the numbers knows them. */
  mode?: string;
  current?: string;
  errorsByCode?: Record<string, number>;
  /** Recent intervals, oldest first. */
  intervals?: IntervalCounts[];
  /** Parameters the runtime runs the task with now, when known. */
  running?: RunningOptions;
  /** Time the numbers cover. */
  window?: EvidenceWindow;
  /** Where they come from: "live from the debug session", "from .fox/fox.db". */
  source?: string;
  /** Which run: "in the last run", "in the last 5 min". */
  scope?: string;
  /** The profiler session / store run id, when known. */
  runId?: string;
}

/**
 * Source of measured numbers for hover, code lens and runtime-evidence diagnostics: the live
 * feed from the editor's profiler (`fox/liveStats`), the store (`.fox/fox.db`), or both.
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
    /** How messages name the store (default: `.fox/fox.db`). */
    private readonly label = '.fox/fox.db',
  ) {}

  /** Whether the store file exists (the server says so in its log when it does not). */
  get available(): boolean {
    return this.store !== undefined || existsSync(this.path);
  }

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
      return {
        calls,
        errors,
        p50: latency.quantile(0.5),
        p95: latency.quantile(0.95),
        p99: latency.quantile(0.99),
        window: { from: now - WINDOW_MS, to: now },
        source: `from ${this.label}`,
        scope: 'in the last 5 min',
      };
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.store?.close();
    this.store = undefined;
  }
}

/**
 * The latest `fox/liveStats` push from the editor's profiler. Numbers stay after the process
 * ends (they describe "the last run") until a push replaces them; a push for a new run
 * replaces every task, so a task absent from the newest run falls back to the store.
 */
export class LiveFeedStats implements LiveStats {
  private byId = new Map<string, TaskLiveStats>();
  private last: LiveStatsParams | undefined;

  /** Takes a validated push; returns the ids whose numbers changed. */
  update(params: LiveStatsParams): string[] {
    const next = new Map<string, TaskLiveStats>();
    for (const t of params.tasks) {
      next.set(t.id, {
        ...t,
        source: params.source.label,
        scope: 'in the last run',
        ...(params.source.runId !== undefined ? { runId: params.source.runId } : {}),
      });
    }
    const changed = [...next.keys()].filter(
      (id) => JSON.stringify(next.get(id)) !== JSON.stringify(this.byId.get(id)),
    );
    for (const id of this.byId.keys()) if (!next.has(id)) changed.push(id);
    this.byId = next;
    this.last = params;
    return changed;
  }

  /** The latest push (the CPU evidence it carries is read from here). */
  get latest(): LiveStatsParams | undefined {
    return this.last;
  }

  forTask(id: string): TaskLiveStats | undefined {
    return this.byId.get(id);
  }
}

/** Prefers the first source that has numbers for a task: live first, then past runs. */
export class LayeredLiveStats implements LiveStats {
  constructor(private readonly sources: readonly LiveStats[]) {}

  forTask(id: string): TaskLiveStats | undefined {
    for (const s of this.sources) {
      const found = s.forTask(id);
      if (found) return found;
    }
    return undefined;
  }
}
