import type { Database } from 'better-sqlite3';
import { ulid } from 'ulid';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import type { Guardian } from '../guardian/guardian.js';
import type { StatsSnapshot, TaskStats } from '../protocol/stats.js';
import {
  ChaosExperimentError,
  parseExperiment,
  type Experiment,
  type Probe,
} from './experiment.js';
import type { ChaosHook } from './hook.js';
import { FaultInjector, type Phase } from './injector.js';
import { ChaosKillSwitchError, readKillFile, watchKillFile } from './kill-switch.js';
import { summarise, type ChaosReport } from './report.js';
import { taskGlob } from './task-glob.js';

/** A task the forge can target (the runtime's `Task` fits). */
export interface ChaosTarget {
  readonly id: string;
  setChaos(hook: ChaosHook | undefined): void;
  /** Subscribes to the task's fallback policy, when it has one (for the fallback rate). */
  onFallback?: ((listener: () => void) => Disposable) | undefined;
}

/** What the forge needs of the runtime. */
export interface ChaosHost {
  tasks(): Iterable<ChaosTarget>;
  stats(): StatsSnapshot;
}

export interface ChaosForgeOptions {
  host: ChaosHost;
  /** When set, starting an experiment is a `chaos-experiment` proposal the policy decides. */
  guardian?: Guardian;
  /** Where reports are saved (table `chaos_reports`). */
  db?: Database;
  /**
   * The project's kill file (see `killFilePath`; `fox chaos kill` writes it). While it exists no
   * experiment starts, and while one runs the forge watches it and kills every run when it
   * appears.
   */
  killFile?: string;
  /** Monotonic ms. */
  now?: () => number;
}

export type RunState = 'pending' | 'running' | 'completed' | 'aborted' | 'killed' | 'denied';

export interface ChaosEvent {
  experimentId: string;
  action: 'start' | 'stop' | 'abort';
  taskIds: string[];
  detail?: string;
}

/** One experiment run: its state, an abort, and the report once it ends. */
export interface ExperimentRun {
  readonly id: string;
  readonly experiment: Experiment;
  readonly state: RunState;
  readonly injector: FaultInjector | undefined;
  /** Stops injection now; the report records `reason`. */
  abort(reason: string): void;
  /** Resolves with the report when the run ends (or rejects if it was denied). */
  readonly done: Promise<ChaosReport>;
}

let killed: string | undefined;
const liveForges = new Set<ChaosForge>();

/**
 * Global kill switch: aborts every running experiment in the process and refuses new ones
 * until {@link resetChaosKillSwitch}. `FOX_CHAOS_KILL=1` in the environment has the same effect
 * at start. For every process of a project at once, see `fox chaos kill` (the kill file).
 */
export function killAllChaos(reason = 'kill switch'): void {
  killed = reason;
  for (const f of liveForges) f.killAll(reason);
}

export function resetChaosKillSwitch(): void {
  killed = undefined;
}

export function chaosKilled(): boolean {
  return killed !== undefined || process.env['FOX_CHAOS_KILL'] === '1';
}

/** Why this process's kill switch is on, if it is. */
function processKillReason(): string | undefined {
  return killed ?? (process.env['FOX_CHAOS_KILL'] === '1' ? 'FOX_CHAOS_KILL=1' : undefined);
}

/**
 * The Chaos Forge: validates an experiment, asks the guardian, then runs its phases (baseline,
 * injection, recovery) on the targeted tasks while the steady-state probes watch live metrics.
 * A breached probe, the kill switch or `abort()` stops all injection at once; the report
 * (before/during/after per task, with 95% intervals) is saved to the store.
 *
 * @example
 * const forge = new ChaosForge({ host, guardian, db });
 * const run = await forge.start({ name: 'slow db', seed: 42, durationMs: 30_000,
 *   hypothesis: { probes: [{ metric: 'errorRate', max: 0.05 }] },
 *   method: [{ fault: { type: 'latency', range: { min: 50, max: 200 } },
 *              target: { tasks: ['src/db.ts#*'], rate: 0.1, maxConcurrent: 5 } }] });
 * const report = await run.done;
 */
export class ChaosForge {
  private readonly host: ChaosHost;
  private readonly now: () => number;
  private readonly runs = new Map<string, RunImpl>();
  private readonly events = new Emitter<ChaosEvent>();
  /** start / stop / abort of experiments (the exporter turns them into `chaos` wire events). */
  readonly onEvent: FoxEvent<ChaosEvent> = this.events.event;
  private readonly reports = new Emitter<ChaosReport>();
  /** Each run's report when it ends (completed, aborted or killed), after it is saved. */
  readonly onReport: FoxEvent<ChaosReport> = this.reports.event;
  /** The kill file watch, while a run is pending or running. */
  private killWatch: Disposable | undefined;

  constructor(private readonly options: ChaosForgeOptions) {
    this.host = options.host;
    this.now = options.now ?? (() => performance.now());
    liveForges.add(this);
  }

  /**
   * Validates and starts an experiment (through the guardian when there is one). Throws
   * {@link ChaosExperimentError} for an invalid experiment and {@link ChaosKillSwitchError}
   * while a kill switch is on: nothing is injected then. A denied proposal gives a run in state
   * `denied`.
   */
  async start(input: unknown, opts: { rollback?: () => unknown } = {}): Promise<ExperimentRun> {
    const off = this.killReason();
    if (off !== undefined) throw new ChaosKillSwitchError(off);
    const experiment = parseExperiment(input);
    const run = new RunImpl(ulid(), experiment, this, opts.rollback);
    this.runs.set(run.id, run);
    this.watchKillFile();
    const guardian = this.options.guardian;
    if (!guardian) {
      run.begin();
      return run;
    }
    const p = await guardian.propose(
      {
        kind: 'chaos-experiment',
        taskId: null,
        payload: experiment as unknown as Record<string, unknown>,
        impact: experiment.impact,
        proposer: 'chaos',
        evidence: { experimentId: run.id },
      },
      { apply: () => run.begin() },
    );
    if (
      p.state === 'denied' ||
      p.state === 'expired' ||
      p.state === 'dry-run' ||
      p.state === 'failed'
    ) {
      run.deny(`guardian: ${p.state}${p.reason ? ` (${p.reason})` : ''}`);
    }
    return run;
  }

  /** Runs in this forge, newest last. */
  list(): ExperimentRun[] {
    return [...this.runs.values()];
  }

  /** Aborts every running experiment of this forge. */
  killAll(reason: string): void {
    for (const r of this.runs.values()) r.kill(reason);
  }

  /** Why experiments are refused now: this process's kill switch or the project's kill file. */
  killReason(): string | undefined {
    const file = this.options.killFile;
    const local = processKillReason();
    if (local !== undefined || !file) return local;
    const on = readKillFile(file);
    return on && `${on.reason} (project kill file ${file}; \`fox chaos kill --clear\` lifts it)`;
  }

  /** Watches the kill file while a run is pending or running (nothing otherwise: no idle cost). */
  private watchKillFile(): void {
    const file = this.options.killFile;
    if (!file || this.killWatch) return;
    this.killWatch = watchKillFile(file, (reason) => this.killAll(reason));
  }

  /** @internal A run ended: stop watching once none is pending or running. */
  settled(): void {
    for (const r of this.runs.values()) if (r.state === 'pending' || r.state === 'running') return;
    this.killWatch?.dispose();
    this.killWatch = undefined;
  }

  /** @internal */
  get clock(): () => number {
    return this.now;
  }

  /** @internal */
  get chaosHost(): ChaosHost {
    return this.host;
  }

  /** @internal */
  emit(e: ChaosEvent): void {
    this.events.fire(e);
  }

  /** @internal */
  report(report: ChaosReport): void {
    try {
      this.save(report);
    } catch {
      // The report is still returned and sent; a store error must not keep the run alive.
    }
    this.reports.fire(report);
  }

  private save(report: ChaosReport): void {
    const db = this.options.db;
    if (!db) return;
    db.prepare(
      `INSERT OR REPLACE INTO chaos_reports (experiment_id, name, started_at, ended_at, outcome, report)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(
      report.experimentId,
      report.name,
      Math.round(report.startedAt),
      Math.round(report.endedAt),
      report.outcome,
      JSON.stringify(report),
    );
  }

  dispose(): void {
    this.killAll('forge disposed');
    liveForges.delete(this);
    this.killWatch?.dispose();
    this.killWatch = undefined;
    this.events.clear();
    this.reports.clear();
  }
}

class RunImpl implements ExperimentRun {
  state: RunState = 'pending';
  injector: FaultInjector | undefined;
  readonly done: Promise<ChaosReport>;
  private resolve!: (r: ChaosReport) => void;
  private reject!: (e: Error) => void;
  private targets: ChaosTarget[] = [];
  private subs: Disposable[] = [];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private abortReason: string | null = null;
  private abortLatencyMs: number | null = null;
  private readonly fallbacks = new Map<string, Record<Phase, number>>();
  private baseline = new Map<string, { calls: number; errors: number }>();
  private lastProbeAt = -Infinity;

  constructor(
    readonly id: string,
    readonly experiment: Experiment,
    private readonly forge: ChaosForge,
    private readonly rollback: (() => unknown) | undefined,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // A caller that never awaits a denied run must not crash the process.
    this.done.catch(() => undefined);
  }

  deny(reason: string): void {
    if (this.state !== 'pending') return;
    this.state = 'denied';
    this.reject(
      new ChaosExperimentError(`experiment ${this.experiment.name} not started: ${reason}`),
    );
    this.forge.settled();
  }

  /** Attaches to the targeted tasks and schedules the phases. */
  begin(): void {
    if (this.state !== 'pending') return;
    // Approval can take a while: the switch may have been turned on since start().
    const off = this.forge.killReason();
    if (off !== undefined) {
      this.deny(`kill switch: ${off}`);
      return;
    }
    const now = this.forge.clock;
    const injector = new FaultInjector(this.id, this.experiment, now);
    this.injector = injector;
    for (const t of this.forge.chaosHost.tasks()) if (injector.targets(t.id)) this.attach(t);
    this.state = 'running';
    this.startedAt = Date.now();
    const e = this.experiment;
    this.forge.emit({
      experimentId: this.id,
      action: 'start',
      taskIds: this.targets.map((t) => t.id),
      detail: e.name,
    });
    this.timers.push(
      setTimeout(() => this.inject(), e.baselineMs),
      setTimeout(() => this.endInjection(null), e.baselineMs + e.durationMs),
      setTimeout(() => this.finish(), e.baselineMs + e.durationMs + e.recoveryMs),
    );
  }

  private attach(t: ChaosTarget): void {
    const injector = this.injector!;
    this.targets.push(t);
    t.setChaos(injector.hookFor(t.id));
    if (t.onFallback) {
      const counts = { before: 0, during: 0, after: 0 };
      this.fallbacks.set(t.id, counts);
      this.subs.push(t.onFallback(() => void counts[injector.phase]++));
    }
  }

  private inject(): void {
    if (this.state !== 'running' || !this.injector) return;
    // Tasks defined during the baseline (modules loaded after start-up) are targeted too.
    for (const t of this.forge.chaosHost.tasks()) {
      if (this.injector.targets(t.id) && !this.targets.some((x) => x.id === t.id)) this.attach(t);
    }
    const stats = this.forge.chaosHost.stats();
    for (const t of stats.tasks) this.baseline.set(t.id, { calls: t.calls, errors: t.errors });
    this.injector.startInjecting();
    if (this.experiment.hypothesis.probes.length > 0) {
      const interval = this.experiment.hypothesis.intervalMs;
      this.probeTimer = setInterval(() => this.probe(), interval);
      this.injector.onActivity = (now) => {
        if (now - this.lastProbeAt >= interval) this.probe();
      };
    }
  }

  /** Runs the steady-state probes once; a breach aborts. */
  probe(): void {
    if (this.state !== 'running' || !this.injector?.injecting) return;
    this.lastProbeAt = this.forge.clock();
    const stats = this.forge.chaosHost.stats();
    for (const p of this.experiment.hypothesis.probes) {
      const value = this.measure(p, stats);
      if (value !== undefined && value > p.max) {
        this.abort(
          `steady state breached: ${p.metric}${p.task ? ` of ${p.task}` : ''} = ${round(value)} > ${p.max}`,
        );
        return;
      }
    }
  }

  private measure(p: Probe, stats: StatsSnapshot): number | undefined {
    if (p.metric === 'eventLoopDelayP99') return stats.process.eventLoopDelay.p99;
    if (p.metric === 'heapUsedMb') return stats.process.heapUsedBytes / (1024 * 1024);
    const match = p.task ? taskGlob(p.task) : (id: string) => this.targets.some((t) => t.id === id);
    const tasks = stats.tasks.filter((t: TaskStats) => match(t.id));
    if (p.metric === 'errorRate') {
      let calls = 0;
      let errors = 0;
      for (const t of tasks) {
        const b = this.baseline.get(t.id) ?? { calls: 0, errors: 0 };
        calls += t.calls - b.calls;
        errors += t.errors - b.errors;
      }
      return calls >= p.minCalls && calls > 0 ? errors / calls : undefined;
    }
    const counted = tasks.filter((t) => t.latency.count >= p.minCalls);
    return counted.length ? Math.max(...counted.map((t) => t.latency.p99)) : undefined;
  }

  abort(reason: string): void {
    this.endInjection(reason);
    this.finish();
  }

  kill(reason: string): void {
    if (this.state === 'pending') return this.deny(reason);
    if (this.state !== 'running') return;
    this.endInjection(reason);
    this.state = 'killed';
    this.finish();
  }

  /** Stops injection (abort when `reason` is given) and detaches from the tasks. */
  private endInjection(reason: string | null): void {
    if (this.state !== 'running' || !this.injector) return;
    const t0 = this.forge.clock();
    this.injector.stop();
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    if (reason !== null) {
      this.abortReason = reason;
      this.abortLatencyMs = this.forge.clock() - t0;
      this.forge.emit({
        experimentId: this.id,
        action: 'abort',
        taskIds: this.targets.map((t) => t.id),
        detail: reason,
      });
      try {
        void Promise.resolve(this.rollback?.()).catch(() => undefined);
      } catch {
        // A failing rollback must not keep faults in place; it is reported below.
      }
    }
  }

  private finish(): void {
    if (this.state !== 'running' && this.state !== 'killed') return;
    for (const t of this.timers) clearTimeout(t);
    if (this.probeTimer) clearInterval(this.probeTimer);
    const injector = this.injector!;
    injector.stop();
    for (const t of this.targets) t.setChaos(undefined);
    for (const s of this.subs) s.dispose();
    if (this.state === 'running') this.state = this.abortReason === null ? 'completed' : 'aborted';
    if (this.abortReason === null && this.rollback)
      void Promise.resolve(this.rollback()).catch(() => undefined);
    const report: ChaosReport = {
      experimentId: this.id,
      name: this.experiment.name,
      seed: this.experiment.seed,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      outcome:
        this.state === 'completed' ? 'completed' : this.state === 'killed' ? 'killed' : 'aborted',
      abortReason: this.abortReason,
      abortLatencyMs: this.abortLatencyMs,
      affected: injector.affected,
      tasks: summarise(injector.samples, this.fallbacks, (id) => this.fallbacks.has(id)),
    };
    if (this.abortReason === null) {
      this.forge.emit({
        experimentId: this.id,
        action: 'stop',
        taskIds: this.targets.map((t) => t.id),
      });
    }
    this.forge.settled();
    this.forge.report(report);
    this.resolve(report);
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
