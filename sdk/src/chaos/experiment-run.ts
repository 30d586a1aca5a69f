import { repeatEvery, type RepeatingTimer, type TimerHandle } from '../clock/clock.js';
import type { Disposable } from '../events/emitter.js';
import type { StatsSnapshot, TaskStats } from '../protocol/stats.js';
import { ChaosExperimentError, type Experiment, type Probe } from './experiment.js';
import type { ChaosForge, ChaosTarget } from './forge.js';
import { FaultInjector, type Phase } from './injector.js';
import { summarise, type ChaosReport } from './report.js';
import { taskGlob } from '../task/task-glob.js';

export type RunState = 'pending' | 'running' | 'completed' | 'aborted' | 'killed' | 'denied';

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

/**
 * The run behind an {@link ExperimentRun}: attaches the injector to the targeted tasks, runs the
 * phases on timers (baseline, injection, recovery), probes the steady state while injecting, and
 * hands its report to the forge that started it.
 */
export class RunImpl implements ExperimentRun {
  state: RunState = 'pending';
  injector: FaultInjector | undefined;
  readonly done: Promise<ChaosReport>;
  private resolve!: (r: ChaosReport) => void;
  private reject!: (e: Error) => void;
  private targets: ChaosTarget[] = [];
  private subs: Disposable[] = [];
  private timers: TimerHandle[] = [];
  private probeTimer: RepeatingTimer | undefined;
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
    const clock = this.forge.clock;
    const injector = new FaultInjector(this.id, this.experiment, clock);
    this.injector = injector;
    for (const t of this.forge.chaosHost.tasks()) if (injector.targets(t.id)) this.attach(t);
    this.state = 'running';
    this.startedAt = clock.wallNow();
    const e = this.experiment;
    this.forge.emit({
      experimentId: this.id,
      action: 'start',
      taskIds: this.targets.map((t) => t.id),
      detail: e.name,
    });
    this.timers.push(
      clock.setTimeout(() => this.inject(), e.baselineMs),
      clock.setTimeout(() => this.endInjection(null), e.baselineMs + e.durationMs),
      clock.setTimeout(() => this.finish(), e.baselineMs + e.durationMs + e.recoveryMs),
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
      this.probeTimer = repeatEvery(this.forge.clock, interval, () => this.probe());
      this.injector.onActivity = (now) => {
        if (now - this.lastProbeAt >= interval) this.probe();
      };
    }
  }

  /** Runs the steady-state probes once; a breach aborts. */
  probe(): void {
    if (this.state !== 'running' || !this.injector?.injecting) return;
    this.lastProbeAt = this.forge.clock.now();
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
    // No delay sample yet (null) measures nothing, like a task below minCalls.
    if (p.metric === 'eventLoopDelayP99') return stats.process.eventLoopDelay?.p99;
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
    const t0 = this.forge.clock.now();
    this.injector.stop();
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    if (reason !== null) {
      this.abortReason = reason;
      this.abortLatencyMs = this.forge.clock.now() - t0;
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
    for (const t of this.timers) this.forge.clock.clearTimeout(t);
    this.probeTimer?.cancel();
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
      endedAt: this.forge.clock.wallNow(),
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
