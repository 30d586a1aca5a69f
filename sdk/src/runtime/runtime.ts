import { resolve } from 'node:path';
import { ulid } from 'ulid';
import { systemClock, type Clock } from '../clock/clock.js';
import { setAsyncContext } from '../context/run-context.js';
import type { Strategy } from '../modes/strategy.js';
import { SfoxStrategy } from '../modes/sfox.js';
import { FoxConfigError } from '../errors/errors.js';
import {
  PoolPrewarm,
  TfoxStrategy,
  ThreadPool,
  WORKER_TARGET,
  detectTsxApi,
  locationKey,
  resolvePoolOptions,
  toModuleUrl,
  warnIfEntryScript,
  type WorkerFunction,
  type WorkerTarget,
} from '../modes/tfox/index.js';
import { MfoxStrategy, lanes } from '../modes/mfox/index.js';
import { DfoxQueues } from '../modes/dfox/index.js';
import { createDfoxStrategy } from './dfox/dfox-plan.js';
import { WfoxStrategy } from '../modes/wfox/index.js';
import type { ConcreteMode } from '../protocol/modes.js';
import type { StatsSnapshot } from '../protocol/stats.js';
import { parseTaskId } from '../protocol/task-id.js';
import { DEFAULT_STORE_PATH, openStore, type FoxStore } from '../store/index.js';
import { closeCacheTiers, configureCacheTiers } from '../policies/cache/tier-settings.js';
import { TaskRegistry } from '../task/registry.js';
import type { Task, TaskHost } from '../task/task.js';
import { relativeSourcePath, projectRootOf } from '../task/task-id.js';
import { ProcessGauges } from '../telemetry/process-gauges.js';
import { IntervalTracker } from '../telemetry/interval-tracker.js';
import type { Exporter } from '../telemetry/exporter.js';
import { profilerUrlFromEnv } from '../telemetry/exporter.js';
import type { CallTracer } from '../telemetry/open-telemetry.js';
import { parseRuntimeConfig, type RuntimeConfig } from './config.js';
import { connectProfiler } from './profiling.js';
import { TracingLink } from './tracing.js';
import { MetricsLink } from './metrics-link.js';
import type { MetricsEndpoint } from '../telemetry/metrics/prometheus-server.js';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import { connectApprovals } from '../guardian/wire-approvals.js';
import { killAllChaos } from '../chaos/process-kill-switch.js';
import { startGuardian, type GuardianRuntime } from './runtime-guardian.js';
import { startTuner } from './runtime-tuner.js';
import type { Tuner } from '../tuner/tuner.js';
import type { WireEvent } from '../protocol/wire.js';
import { processSlot } from '../state/process-state.js';

type ParsedConfig = ReturnType<typeof parseRuntimeConfig>;

const DEFAULT_FLUSH_MS = 5_000;

/**
 * The process-wide Fox runtime: the task registry, configuration, process gauges and the
 * optional store. One per process (see {@link runtime}).
 */
export class Runtime implements TaskHost {
  readonly registry = new TaskRegistry();
  readonly clock: Clock = systemClock;
  /** The dfox queues this process enqueues on (opened on first use; bullmq loaded then). */
  readonly dfoxQueues = new DfoxQueues(this.clock);
  /** ULID of this process in telemetry and the store. */
  readonly processId = ulid();
  private config: ParsedConfig = {};
  private gauges: ProcessGauges | undefined;
  private store: FoxStore | undefined;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  /** What each flush has written so far, so every aggregate row covers one interval. */
  private readonly flushed = new IntervalTracker();
  /** OpenTelemetry spans for fox calls, once the program registers a tracer provider. */
  private readonly tracing = new TracingLink(() => this.registry.all());
  /** OpenTelemetry metrics (once a meter provider is registered) and the Prometheus endpoint. */
  private readonly metricsLink = new MetricsLink(
    {
      tasks: () =>
        this.registry.all().map((t) => ({
          id: t.id,
          current: t.current,
          metrics: t.metrics,
          gauges: () => t.currentStrategy.gauges(),
          breakerState: () => t.policyChain?.get('breaker')?.state,
        })),
      pool: () => this.pool?.stats(),
      lanes: () => lanes().stats(),
      queues: () => this.dfoxQueues.gauges(),
    },
    this.clock,
  );
  private shuttingDown: Promise<void> | undefined;
  private exporter: Exporter | undefined;
  /** Whether FOX_PROFILER has been looked at (once, at the first registration). */
  private profilerChecked = false;
  /** Guardian, audit log and chaos forge: running while a store is open. */
  guardianRuntime: GuardianRuntime | undefined;
  /** The tuner: running while a store is open and `tune` is on (for all tasks or some). */
  tuner: Tuner | undefined;
  private guardianSubs: Disposable[] = [];
  /** Approvals relayed by the profiler, fed to the guardian while both run. */
  private approvalsSub: Disposable | undefined;
  /** The profiler's chaos kill switch (relayed from its UI or the editor), while connected. */
  private chaosKillSub: Disposable | undefined;
  /** Proposal and chaos events for the profiler's feed. */
  readonly wireEvents = new Emitter<WireEvent>();
  private readonly taskRegistered = new Emitter<Task>();
  /**
   * Fires for every task registered from now on, once it is in the registry. Subscribers that
   * also need the tasks registered before them read `registry.all()` after subscribing.
   */
  readonly onTaskRegistered: FoxEvent<Task> = this.taskRegistered.event;
  private pool: ThreadPool | undefined;
  private readonly workerFunctions = new WeakMap<Task, WorkerFunction>();
  private nextWorkerFunction = 1;
  /** tfox functions defined in the entry script: never imported by workers ahead of a call. */
  private readonly entryScriptFunctions = new WeakSet<WorkerFunction>();
  /** Starts tfox workers and imports the tasks' modules once tfox tasks are registered. */
  private readonly prewarm = new PoolPrewarm(() => this.poolToWarm());
  /** Receives each auto task's per-call timing while it runs under tfox (set by auto). */
  timingHook: ((task: Task) => ((syncMs: number, wallMs: number) => void) | undefined) | undefined;
  closed = false;

  /** Applies `fox.configure()` settings. Validates everything before changing anything. */
  configure(input: RuntimeConfig): void {
    const parsed = parseRuntimeConfig(input);
    const next = { ...this.config, ...parsed };
    if (next.tune && !next.store) {
      throw new FoxConfigError(
        ['tune'],
        'the tuner needs the store and the guardian (it adopts changes through them): ' +
          'fox.configure({ store: true, tune: true })',
      );
    }
    // Pool settings merge key by key; they apply to the pool started next.
    if (parsed.pool) next.pool = { ...this.config.pool, ...parsed.pool };
    // A pool that has only been prewarmed is replaced, so that settings given after the tasks
    // were registered (but before any call) still apply.
    const replacePool = parsed.pool !== undefined && this.pool !== undefined && !this.pool.used;
    if (parsed.lanes) lanes().configure(parsed.lanes);
    if (parsed.redis !== undefined || parsed.dfox !== undefined)
      this.dfoxQueues.configure(parsed.redis, parsed.dfox);
    if (next.asyncContext !== undefined) setAsyncContext(next.asyncContext);
    const storeChanged = 'store' in (input ?? {}) && next.store !== this.config.store;
    const profilerChanged = 'profiler' in (input ?? {}) && next.profiler !== this.config.profiler;
    this.config = next;
    if (storeChanged || 'cacheRedis' in (input ?? {})) {
      // The result cache's L2 lives in the store's file, its L3 on its own Redis.
      const store = next.store === true ? DEFAULT_STORE_PATH : next.store || undefined;
      configureCacheTiers({ redis: next.cacheRedis, storePath: store });
    }
    if (replacePool) {
      void this.pool!.close();
      this.pool = undefined;
      this.prewarm.schedule();
    }
    if ('openTelemetry' in (input ?? {})) {
      this.tracing.configure(next.openTelemetry);
      this.metricsLink.configureOpenTelemetry(next.openTelemetry);
    }
    if (parsed.metrics !== undefined) this.metricsLink.serve(parsed.metrics);
    if (storeChanged) this.reopenStore();
    else if ('notifications' in (input ?? {})) {
      this.guardianRuntime?.configureNotifications(next.notifications);
    }
    // A reopened store restarted the tuner already.
    if (!storeChanged && 'tune' in (input ?? {})) this.restartTuner();
    if (profilerChanged) {
      this.profilerChecked = true;
      void this.connect(next.profiler || undefined);
    }
  }

  /** Connects to (or, with undefined, disconnects from) a profiler. */
  private async connect(url: string | undefined): Promise<void> {
    const previous = this.exporter;
    this.exporter = undefined;
    this.approvalsSub?.dispose();
    this.approvalsSub = undefined;
    this.chaosKillSub?.dispose();
    this.chaosKillSub = undefined;
    if (previous) await previous.shutdown();
    // Span trees need parents across awaits; unless the user chose a mode, track them while
    // sampled calls run (see run-context.ts for the cost this avoids).
    if (this.config.asyncContext === undefined) setAsyncContext(url ? 'sampled' : false);
    if (!url) return;
    this.exporter = connectProfiler(this, url, this.config.profilerIntervalMs);
    this.connectApprovals();
    this.connectChaosKill(this.exporter);
  }

  /** The profiler connection, if any. */
  get profilerExporter(): Exporter | undefined {
    return this.exporter;
  }

  /** The OpenTelemetry bridge while the program has a tracer provider (for flows). */
  get callTracer(): CallTracer | undefined {
    return this.tracing.current;
  }

  /** Where the Prometheus endpoint of `fox.configure({ metrics })` listens, once it does. */
  get metricsEndpoint(): Promise<MetricsEndpoint> | undefined {
    return this.metricsLink.endpoint;
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
      case 'tfox':
        return new TfoxStrategy(this.workerFunction(task), {
          pool: () => this.tfoxPool(),
          watchCallSignal: task.options.timeout !== undefined,
          onTiming: this.timingHook?.(task),
        });
      case 'dfox':
        return createDfoxStrategy(task, this);
      case 'mfox': {
        const lane = task.options.lane ?? 'io';
        return new MfoxStrategy(() => lanes().get(lane));
      }
      default:
        throw new FoxConfigError(
          ['mode'],
          `strategy '${mode}' is not available in this version`,
          task.id,
        );
    }
  }

  /** How a worker finds the task's function: the defining module and the export path. */
  private workerFunction(task: Task): WorkerFunction {
    const known = this.workerFunctions.get(task);
    if (known) return known;
    const target = (task.options as { [WORKER_TARGET]?: WorkerTarget })[WORKER_TARGET];
    if (target?.ineligible) throw new FoxConfigError(['mode'], target.ineligible, task.id);
    const spec = task.options.module ?? task.location?.runtimeFile;
    if (!spec) {
      throw new FoxConfigError(
        ['module'],
        'cannot tell which module defines this function (its call site is unknown); pass { module: import.meta.url } or { module: __filename }',
        task.id,
      );
    }
    const moduleUrl = toModuleUrl(spec);
    const inEntryScript = warnIfEntryScript(moduleUrl, task.id);
    const fn: WorkerFunction = {
      index: this.nextWorkerFunction++,
      taskId: task.id,
      moduleUrl,
      locationKey: locationKey(task.location),
      names: target?.names ?? [parseTaskId(task.id)?.name ?? task.id],
    };
    this.workerFunctions.set(task, fn);
    if (inEntryScript) this.entryScriptFunctions.add(fn);
    return fn;
  }

  /** The pool to prewarm: none after shutdown, or when prewarm is off and no pool exists. */
  private poolToWarm(): ThreadPool | undefined {
    if (this.closed) return undefined;
    if (!this.pool && resolvePoolOptions(this.config.pool).prewarmThreads === 0) return undefined;
    return this.tfoxPool();
  }

  /** The shared tfox worker pool, started on first use with `fox.configure({ pool })`. */
  tfoxPool(): ThreadPool {
    return (this.pool ??= new ThreadPool(resolvePoolOptions(this.config.pool), detectTsxApi()));
  }

  register(task: Task): void {
    const replaced = this.registry.add(task);
    if (replaced) void replaced.close();
    if (!this.profilerChecked) {
      this.profilerChecked = true;
      const url = profilerUrlFromEnv();
      if (url) void this.connect(url);
      // `fox chaos run` and other launchers pass a store by environment; a chaos experiment
      // needs one (the guardian decides on it and its report is stored).
      if (this.config.store === undefined) {
        const store = process.env.FOX_STORE || (process.env.FOX_CHAOS ? true : undefined);
        if (store) this.configure({ store });
      }
    }
    if (task.options.tune && !this.tuner && this.guardianRuntime) this.restartTuner();
    else this.tuner?.add(task);
    this.tracing.attach(task);
    this.metricsLink.attach();
    if (task.options.mode === 'tfox') {
      const fn = this.workerFunctions.get(task);
      if (fn && !this.entryScriptFunctions.has(fn)) this.prewarm.add(fn);
    }
    this.taskRegistered.fire(task);
  }

  /**
   * The gauges start with the first snapshot, not with the first task: the delay monitor wakes
   * the event loop every 10 ms, which a program that nobody watches should not pay for.
   */
  private ensureGauges(): ProcessGauges {
    return (this.gauges ??= new ProcessGauges());
  }

  /** A typed snapshot of every task and the process. */
  stats(): StatsSnapshot {
    const queues = this.dfoxQueues.gauges();
    return {
      at: this.clock.wallNow(),
      process: this.ensureGauges().snapshot(),
      tasks: this.registry.all().map((t) => t.stats()),
      ...(queues.length > 0 ? { queues } : {}),
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
      startedAt: this.clock.wallNow() - process.uptime() * 1000,
      argv: process.argv.slice(1),
      nodeVersion: process.version,
      projectRoot: this.projectRootOverride ?? process.cwd(),
    });
    const guardianRt = startGuardian({
      store: this.store,
      storePath: path,
      ...(this.config.guardian ? { policy: this.config.guardian } : {}),
      ...(this.config.notifications ? { notifications: this.config.notifications } : {}),
      getTask: (id) => this.registry.get(id),
      tasks: () => this.registry.all(),
      stats: () => this.stats(),
      clock: this.clock,
    });
    this.guardianRuntime = guardianRt;
    this.guardianSubs = [guardianRt.onWireEvent((e) => this.wireEvents.fire(e))];
    this.connectApprovals();
    this.restartTuner();
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
    const now = this.clock.wallNow();
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
        const s = t.stats();
        const interval = this.flushed.next(t.id, {
          ...s,
          latency: t.metrics.latency,
        });
        const h = interval.latency;
        return {
          processId: this.processId,
          taskId: t.id,
          at: now,
          calls: interval.calls,
          successes: interval.successes,
          errors: interval.errors,
          errorsByCode: interval.errorsByCode,
          histogram: h.encode(),
          p50: h.quantile(0.5),
          p90: h.quantile(0.9),
          p99: h.quantile(0.99),
          max: h.max,
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

  /**
   * Stops all chaos injection in this process when the profiler relays its kill switch. Needs
   * no store: any forge in the process is killed, and new experiments are refused.
   */
  private connectChaosKill(exporter: Exporter): void {
    this.chaosKillSub?.dispose();
    this.chaosKillSub = exporter.onChaosKill((reason) => killAllChaos(reason));
  }

  /** Feeds the profiler's approvals to the guardian once both are running. */
  private connectApprovals(): void {
    this.approvalsSub?.dispose();
    this.approvalsSub =
      this.exporter && this.guardianRuntime
        ? connectApprovals(this.exporter.onApproval, this.guardianRuntime.guardian, (d, err) =>
            process.emitWarning(
              `approval for ${d.proposalId} refused: ${err.message}`,
              'FoxGuardianWarning',
            ),
          )
        : undefined;
  }

  /** (Re)starts the tuner with the current settings, when the store is open and tuning is on. */
  private restartTuner(): void {
    this.tuner?.dispose();
    this.tuner = undefined;
    const g = this.guardianRuntime;
    if (!this.store || !g) return;
    this.tuner = startTuner({
      store: this.store,
      guardian: g,
      clock: this.clock,
      tune: this.config.tune,
      tasks: this.registry.all(),
    });
  }

  private closeStore(): void {
    this.tuner?.dispose();
    this.tuner = undefined;
    this.approvalsSub?.dispose();
    this.approvalsSub = undefined;
    this.guardianSubs.forEach((d) => d.dispose());
    this.guardianSubs = [];
    this.guardianRuntime?.close();
    this.guardianRuntime = undefined;
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
      this.prewarm.cancel();
      await Promise.allSettled(this.registry.all().map((t) => t.close()));
      await this.pool?.close();
      this.pool = undefined;
      await lanes().close();
      await this.dfoxQueues.close();
      // After the tasks settle, so the last interval and spans are in the final frame.
      await this.connect(undefined);
      this.closeStore();
      await closeCacheTiers();
      this.gauges?.stop();
      await this.metricsLink.close();
    })());
  }

  /** Forgets all tasks and reopens for calls. For tests that need a clean process. */
  async reset(): Promise<void> {
    await this.shutdown();
    this.registry.clear();
    this.prewarm.clear();
    this.flushed.clear();
    this.gauges = undefined;
    this.config = {};
    configureCacheTiers({ redis: undefined, storePath: undefined });
    this.dfoxQueues.forget();
    this.profilerChecked = false;
    this.tracing.reset();
    this.metricsLink.reset();
    setAsyncContext(false);
    this.closed = false;
    this.shuttingDown = undefined;
  }
}

/**
 * The one runtime of this process, in a process slot so that two copies of the sdk (an ESM
 * and a CJS import of the same package) still see one registry, store and guardian.
 */
export function runtime(): Runtime {
  return processSlot('runtime.v1', () => new Runtime());
}
