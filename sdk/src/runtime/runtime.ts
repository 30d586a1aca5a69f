import { resolve } from 'node:path';
import { ulid } from 'ulid';
import { systemClock, type Clock } from '../clock/clock.js';
import { setAsyncContext } from '../context/run-context.js';
import type { Strategy } from '../modes/strategy.js';
import { SfoxStrategy } from '../modes/sfox.js';
import { WfoxStrategy } from '../modes/wfox/index.js';
import type { ConcreteMode } from '../protocol/modes.js';
import type { StatsSnapshot } from '../protocol/stats.js';
import { DEFAULT_STORE_PATH, openStore, type FoxStore } from '../store/index.js';
import { TaskRegistry } from '../task/registry.js';
import type { Task, TaskHost } from '../task/task.js';
import { relativeSourcePath, projectRootOf } from '../task/task-id.js';
import { ProcessGauges } from '../telemetry/process-gauges.js';
import { LatencyHistogram, bucketLowerBound, bucketWidth } from '../telemetry/histogram.js';
import type { Exporter } from '../telemetry/exporter.js';
import { profilerUrlFromEnv } from '../telemetry/exporter.js';
import { parseRuntimeConfig, type RuntimeConfig } from './config.js';
import { connectProfiler } from './profiling.js';

type ParsedConfig = ReturnType<typeof parseRuntimeConfig>;

const DEFAULT_FLUSH_MS = 5_000;

/**
 * The process-wide Fox runtime: the task registry, configuration, process gauges and the
 * optional store. One per process (see {@link runtime}).
 */
export class Runtime implements TaskHost {
  readonly registry = new TaskRegistry();
  readonly clock: Clock = systemClock;
  /** ULID of this process in telemetry and the store. */
  readonly processId = ulid();
  private config: ParsedConfig = {};
  private gauges: ProcessGauges | undefined;
  private store: FoxStore | undefined;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  /** Per-task latency already written to the store, so each flush writes one interval. */
  private readonly flushed = new Map<
    string,
    { calls: number; successes: number; errors: number; latency: LatencyHistogram }
  >();
  private shuttingDown: Promise<void> | undefined;
  private exporter: Exporter | undefined;
  /** Whether FOX_PROFILER has been looked at (once, at the first registration). */
  private profilerChecked = false;
  /** Called for every task registered while a profiler is connected. */
  onTaskRegistered: ((task: Task) => void) | undefined;
  closed = false;

  /** Applies `fox.configure()` settings. Validates everything before changing anything. */
  configure(input: RuntimeConfig): void {
    const next = { ...this.config, ...parseRuntimeConfig(input) };
    if (next.asyncContext !== undefined) setAsyncContext(next.asyncContext);
    const storeChanged = 'store' in (input ?? {}) && next.store !== this.config.store;
    const profilerChanged = 'profiler' in (input ?? {}) && next.profiler !== this.config.profiler;
    this.config = next;
    if (storeChanged) this.reopenStore();
    if (profilerChanged) {
      this.profilerChecked = true;
      void this.connect(next.profiler || undefined);
    }
  }

  /** Connects to (or, with undefined, disconnects from) a profiler. */
  private async connect(url: string | undefined): Promise<void> {
    const previous = this.exporter;
    this.exporter = undefined;
    if (previous) await previous.shutdown();
    if (!url) return;
    // Span trees need the parent across awaits, unless the user chose otherwise explicitly.
    if (this.config.asyncContext === undefined) setAsyncContext(true);
    this.exporter = connectProfiler(this, url, this.config.profilerIntervalMs);
  }

  /** The profiler connection, if any. */
  get profilerExporter(): Exporter | undefined {
    return this.exporter;
  }

  get projectRootOverride(): string | undefined {
    return this.config.root ?? process.env.FOX_PROJECT_ROOT ?? undefined;
  }

  /** Relative source path of a file for task ids (see task-id.ts for the rule). */
  relativePath(file: string): string {
    const root = this.projectRootOverride ? resolve(this.projectRootOverride) : projectRootOf(file);
    return relativeSourcePath(file, root);
  }

  createStrategy(mode: ConcreteMode, task: Task): Strategy {
    switch (mode) {
      case 'sfox':
        return new SfoxStrategy();
      case 'wfox':
        return new WfoxStrategy(task.options.limiter ?? {}, { clock: this.clock, taskId: task.id });
      default:
        throw new Error(`strategy '${mode}' is not available in this version`);
    }
  }

  register(task: Task): void {
    this.ensureGauges();
    const replaced = this.registry.add(task);
    if (replaced) void replaced.close();
    if (!this.profilerChecked) {
      this.profilerChecked = true;
      const url = profilerUrlFromEnv();
      if (url) void this.connect(url);
    }
    this.onTaskRegistered?.(task);
  }

  private ensureGauges(): ProcessGauges {
    return (this.gauges ??= new ProcessGauges());
  }

  /** A typed snapshot of every task and the process. */
  stats(): StatsSnapshot {
    return {
      at: Date.now(),
      process: this.ensureGauges().snapshot(),
      tasks: this.registry.all().map((t) => t.stats()),
    };
  }

  private reopenStore(): void {
    this.closeStore();
    const setting = this.config.store;
    if (!setting) return;
    // better-sqlite3 loads its native addon on first open, so programs that never persist
    // never load it.
    const path = setting === true ? DEFAULT_STORE_PATH : setting;
    this.store = openStore({ path: path === ':memory:' ? path : resolve(path) });
    this.store.upsertProcess({
      id: this.processId,
      pid: process.pid,
      startedAt: Date.now() - process.uptime() * 1000,
      argv: process.argv.slice(1),
      nodeVersion: process.version,
      projectRoot: this.projectRootOverride ?? process.cwd(),
    });
    this.flushTimer = setInterval(
      () => this.flush(),
      this.config.flushIntervalMs ?? DEFAULT_FLUSH_MS,
    );
    this.flushTimer.unref();
  }

  /** Writes tasks and one interval of aggregates to the store, if one is configured. */
  flush(): void {
    const store = this.store;
    if (!store) return;
    const now = Date.now();
    const tasks = this.registry.all();
    store.upsertTasks(
      tasks.map((t) => ({
        id: t.id,
        mode: t.options.mode,
        sourceFile: t.location ? this.relativePath(t.location.file) : null,
        line: t.location?.line ?? null,
        column: t.location?.column ?? null,
        firstSeen: now,
        lastSeen: now,
      })),
    );
    store.insertAggregates(
      tasks.map((t) => {
        const m = t.metrics;
        const prev = this.flushed.get(t.id);
        const interval = m.latency.clone();
        if (prev) subtract(interval, prev.latency);
        this.flushed.set(t.id, {
          calls: m.calls,
          successes: m.successes,
          errors: m.errors,
          latency: m.latency.clone(),
        });
        const s = t.stats();
        return {
          processId: this.processId,
          taskId: t.id,
          at: now,
          calls: m.calls - (prev?.calls ?? 0),
          successes: m.successes - (prev?.successes ?? 0),
          errors: m.errors - (prev?.errors ?? 0),
          errorsByCode: s.errorsByCode,
          histogram: interval.encode(),
          p50: interval.quantile(0.5),
          p90: interval.quantile(0.9),
          p99: interval.quantile(0.99),
          max: interval.max,
          inFlight: s.inFlight,
          queued: s.queued,
          limit: s.limit,
        };
      }),
    );
  }

  /** The open store, if `fox.configure({ store })` enabled one. */
  get openedStore(): FoxStore | undefined {
    return this.store;
  }

  private closeStore(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    if (this.store) {
      this.flush();
      this.store.close();
      this.store = undefined;
    }
  }

  /** Flushes telemetry, closes strategies and the store. Idempotent. */
  shutdown(): Promise<void> {
    return (this.shuttingDown ??= (async () => {
      this.closed = true;
      await Promise.allSettled(this.registry.all().map((t) => t.close()));
      // After the tasks settle, so the last interval and spans are in the final frame.
      await this.connect(undefined);
      this.closeStore();
      this.gauges?.stop();
    })());
  }

  /** Forgets all tasks and reopens for calls. For tests that need a clean process. */
  async reset(): Promise<void> {
    await this.shutdown();
    this.registry.clear();
    this.flushed.clear();
    this.gauges = undefined;
    this.config = {};
    this.profilerChecked = false;
    setAsyncContext(false);
    this.closed = false;
    this.shuttingDown = undefined;
  }
}

function subtract(into: LatencyHistogram, prev: LatencyHistogram): void {
  const a = into.counts;
  const b = prev.counts;
  for (let i = 0; i < a.length; i++) a[i]! -= b[i]!;
  into.count -= prev.count;
  into.sum -= prev.sum;
  // The exact max is all-time; the interval's can be no higher than its top non-empty bucket.
  let top = a.length - 1;
  while (top >= 0 && a[top] === 0) top--;
  into.max = top < 0 ? 0 : Math.min(into.max, (bucketLowerBound(top) + bucketWidth(top)) / 1e6);
}

const RUNTIME = Symbol.for('fox.runtime.v1');

/**
 * The one runtime of this process, shared through `globalThis` so that two copies of the sdk
 * (an ESM and a CJS import of the same package) still see one registry.
 */
export function runtime(): Runtime {
  const g = globalThis as { [RUNTIME]?: Runtime };
  return (g[RUNTIME] ??= new Runtime());
}
