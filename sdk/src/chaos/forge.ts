import { ulid } from 'ulid';
import { systemClock, type Clock } from '../clock/clock.js';
import type { ChaosReportStore } from './report-store.js';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import type { Guardian } from '../guardian/guardian.js';
import type { StatsSnapshot } from '../protocol/stats.js';
import { parseExperiment } from './experiment.js';
import { RunImpl, type ExperimentRun } from './experiment-run.js';
import type { ChaosHook } from './hook.js';
import { ChaosKillSwitchError, readKillFile, watchKillFile } from './kill-switch.js';
import { processKillReason, releaseForge, trackForge } from './process-kill-switch.js';
import type { ChaosReport } from './report.js';

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
  /** Where reports are saved: `store.use(CHAOS_REPORTS)` (see report-store.ts). */
  reports?: ChaosReportStore;
  /**
   * The project's kill file (see `killFilePath`; `fox chaos kill` writes it). While it exists no
   * experiment starts, and while one runs the forge watches it and kills every run when it
   * appears.
   */
  killFile?: string;
  /**
   * Time for the phases, the probes, injected delays and the report's timestamps. Default: the
   * system clock; tests pass a fake one (`createFakeClock()` from `@fox/sdk/testing`).
   */
  clock?: Clock;
}

export interface ChaosEvent {
  experimentId: string;
  action: 'start' | 'stop' | 'abort';
  taskIds: string[];
  detail?: string;
}

/**
 * The Chaos Forge: validates an experiment, asks the guardian, then runs its phases (baseline,
 * injection, recovery) on the targeted tasks while the steady-state probes watch live metrics.
 * A breached probe, the kill switch or `abort()` stops all injection at once; the report
 * (before/during/after per task, with 95% intervals) is saved to the store.
 *
 * @example
 * const forge = new ChaosForge({ host, guardian, reports: store.use(CHAOS_REPORTS) });
 * const run = await forge.start({ name: 'slow db', seed: 42, durationMs: 30_000,
 *   hypothesis: { probes: [{ metric: 'errorRate', max: 0.05 }] },
 *   method: [{ fault: { type: 'latency', range: { min: 50, max: 200 } },
 *              target: { tasks: ['src/db.ts#*'], rate: 0.1, maxConcurrent: 5 } }] });
 * const report = await run.done;
 */
export class ChaosForge {
  private readonly host: ChaosHost;
  private readonly time: Clock;
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
    this.time = options.clock ?? systemClock;
    trackForge(this);
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
    this.killWatch = watchKillFile(file, (reason) => this.killAll(reason), {
      clock: this.time,
    });
  }

  /** @internal A run ended: stop watching once none is pending or running. */
  settled(): void {
    for (const r of this.runs.values()) if (r.state === 'pending' || r.state === 'running') return;
    this.killWatch?.dispose();
    this.killWatch = undefined;
  }

  /** @internal */
  get clock(): Clock {
    return this.time;
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
    this.options.reports?.save(report);
  }

  dispose(): void {
    this.killAll('forge disposed');
    releaseForge(this);
    this.killWatch?.dispose();
    this.killWatch = undefined;
    this.events.clear();
    this.reports.clear();
  }
}
