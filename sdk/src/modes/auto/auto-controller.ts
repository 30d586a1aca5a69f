import { performance } from 'node:perf_hooks';
import type { ConcreteMode } from '../../protocol/modes.js';
import { processSlot } from '../../state/process-state.js';
import type { AutoAction, AutoInput, AutoPhase, AutoState, Instant } from './auto-state.js';
import { isSampling } from './auto-state.js';
import { initialState, isSettled, runOpen, step } from './auto-step.js';
import {
  DEFAULT_THRESHOLDS,
  targetMode,
  type AutoThresholds,
  type DecisionEvidence,
} from './decision-rule.js';
import {
  EvidenceWindow,
  type CallTiming,
  type StartMark,
  type WindowEvidence,
} from './evidence-window.js';
import { autoSources, type AutoSources } from './auto-sources.js';
import type { AutoTask } from './auto-task.js';
import { ExpressRun } from './express-run.js';
import { endSample, LoopSample, runSampled } from './loop-time.js';
import { newProposalId, propose, type AutoEvidence } from './proposals.js';

export type { AutoPhase } from './auto-state.js';

/**
 * AUTO for one task: the adapter around its state machine (auto-step.ts, which decides). It
 * measures — each call cheaply (time to its first await, wall time, calls in flight), sampled
 * calls for their whole-call loop time (loop-time.ts), windows of calls (evidence-window.ts) and
 * runs of strong calls (express-run.ts) — feeds what it measured to the machine with a reading
 * of the clock-like sources (the event loop's and the task's counters), and carries out the
 * machine's actions: proposals to the guardian (proposals.ts), which calls to sample, and when a
 * window or run starts afresh. See {@link step} for how auto decides.
 */
export class AutoController {
  private state: AutoState;
  private readonly window: EvidenceWindow;
  /** The current run of strong sampled calls (the fast path to tfox). */
  private readonly express: ExpressRun;
  /** Calls still to sample for a run, outside the windows (counted per call, so kept here). */
  private probeLeft = 0;
  /** Whether calls starting now are sampled (the state's, cached for the hot path). */
  private sampling = false;
  private task: AutoTask | undefined;
  readonly thresholds: AutoThresholds;
  /**
   * While true, calls run unmeasured and nothing is decided — e.g. for a benchmark that times
   * each strategy by itself, without auto's own measuring.
   */
  paused = false;

  /**
   * @param sources time and the event loop's counters (the real ones by default; see
   *   {@link AutoSources} for what stays on the real clock)
   */
  constructor(
    thresholds: Partial<AutoThresholds> = {},
    private readonly sources: AutoSources = autoSources(),
  ) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
    this.window = new EvidenceWindow(sources);
    this.express = new ExpressRun(this.thresholds.promoteMs, sources);
    const start = initialState(this.thresholds);
    this.state = start.state;
    // The initial actions propose nothing, so there is no outcome to wait for.
    void this.carryOut(start.actions);
  }

  /** Where the machine is in its cycle. */
  get phase(): AutoPhase {
    return this.state.phase;
  }

  /**
   * Whether the mode in use has been confirmed since the last switch: `settle` windows in a row
   * agreed with it (in tfox, judged from the workers' timings), so no switch is under way.
   */
  get settled(): boolean {
    return isSettled(this.state);
  }

  /** Why the task cannot go to tfox (instance method, unknown module), if it cannot. */
  get ineligible(): string | undefined {
    return this.state.kept.ineligible;
  }

  /** The last decided window's evidence (for telemetry and benchmarks). */
  get lastEvidence(): WindowEvidence | undefined {
    return this.state.learned.lastEvidence;
  }

  attach(task: AutoTask, ineligible: string | undefined): void {
    this.task = task;
    this.state = { ...this.state, kept: { ...this.state.kept, ineligible } };
    task.metrics.trackBusyTime();
  }

  /** Wraps the user's function so calls on this thread are measured. */
  wrap(
    fn: (this: unknown, ...args: unknown[]) => unknown,
  ): (this: unknown, ...args: unknown[]) => unknown {
    const call = (self: unknown, args: unknown[]): unknown => this.measure(fn, self, args);
    return function measured(this: unknown, ...args: unknown[]): unknown {
      return call(this, args);
    };
  }

  private measure(
    fn: (this: unknown, ...args: unknown[]) => unknown,
    self: unknown,
    args: unknown[],
  ): unknown {
    if (this.paused) return fn.apply(self, args);
    const fanOut = this.task?.metrics.inFlight ?? 1;
    if (this.sampling) return this.runSampled(fn, self, args, fanOut, false);
    if (this.probeLeft > 0) {
      this.probeLeft--;
      return this.runSampled(fn, self, args, fanOut, true);
    }
    const t0 = performance.now();
    const result = fn.apply(self, args);
    const syncMs = performance.now() - t0;
    if (isThenable(result)) {
      const done = (): void => this.record({ syncMs, wallMs: performance.now() - t0, fanOut });
      result.then(done, done);
    } else this.record({ syncMs, wallMs: syncMs, fanOut });
    return result;
  }

  private runSampled(
    fn: (this: unknown, ...args: unknown[]) => unknown,
    self: unknown,
    args: unknown[],
    fanOut: number,
    probe: boolean,
  ): unknown {
    // A probed call's loop time is no part of the window's.
    const tally = probe ? undefined : this.window.tally;
    const sample = new LoopSample(tally);
    const tallyAtStart = tally?.ms ?? 0;
    const started = startMark(this.task);
    const t0 = performance.now();
    const done = (): void => {
      endSample(sample);
      this.record({
        syncMs,
        wallMs: performance.now() - t0,
        fanOut,
        busyMs: sample.busyMs,
        longestMs: sample.longestMs,
        segments: sample.segments,
        ownLoopMs: tally ? tally.ms - tallyAtStart : undefined,
        started,
        probe,
      });
    };
    let syncMs = 0;
    let result: unknown;
    try {
      result = runSampled(sample, () => fn.apply(self, args));
    } catch (err) {
      syncMs = sample.busyMs;
      done();
      throw err;
    }
    syncMs = sample.busyMs;
    if (isThenable(result)) result.then(done, done);
    else done();
    return result;
  }

  /** Timing of a call that ran in a worker (the pool reports it). */
  readonly recordWorker = (syncMs: number, wallMs: number): void => {
    if (this.paused) return;
    this.record({ syncMs, wallMs, fanOut: this.task?.metrics.inFlight ?? 1 });
  };

  /** Adds one measured call: to the run of strong calls, and to the window (closing it when full). */
  record(timing: CallTiming): void {
    if (timing.busyMs !== undefined) this.addToRun(timing);
    else if (timing.syncMs >= this.express.strongMs && this.probeLeft === 0) {
      void this.feed({ kind: 'long-call' });
    }
    if (timing.probe) this.window.skip();
    else this.window.add(timing);
    if (this.window.calls >= this.thresholds.window) {
      const evidence = this.window.close();
      void this.feed({ kind: 'window', evidence });
    }
  }

  /** Adds a sampled call to the run of strong calls while a run may propose tfox. */
  private addToRun(t: CallTiming): void {
    if (!this.task || !runOpen(this.state, this.task.current)) {
      this.express.reset();
      return;
    }
    const run = this.express.add(t);
    // A proposal's outcome comes back to the machine through `feed`; calls never wait for it.
    if (run) void this.feed({ kind: 'strong-run', run });
    // A call that is not strong ends the run, and the probe that looked for one.
    else if (t.probe && this.express.length === 0) void this.feed({ kind: 'probe-missed' });
  }

  /**
   * The mode one window of evidence points to, given the mode in use now (see
   * {@link targetMode}); fields left out count as "nothing seen".
   */
  target(current: ConcreteMode, e: Partial<DecisionEvidence>): ConcreteMode {
    const syncMs = e.syncMs ?? 0;
    const wallMs = e.wallMs ?? syncMs;
    return targetMode(
      {
        syncMs,
        longestMs: e.longestMs ?? syncMs,
        wallMs,
        ioShare: e.ioShare ?? 0,
        waitMs: e.waitMs ?? Math.max(0, wallMs - syncMs),
        fanOut: e.fanOut ?? 1,
        workerWaitShare: e.workerWaitShare ?? 0,
        loopBusy: e.loopBusy ?? 0,
      },
      this.thresholds,
      {
        current,
        ineligible: this.ineligible !== undefined,
        promotedBy: this.state.kept.promotedBy,
      },
    );
  }

  /**
   * Proposes `to` (the analyser's static hint) unless the task is there or a proposal is out.
   * Resolves once the guardian decided (applied, the task cools down in it; denied or pending, it
   * is held off).
   */
  switchTo(to: ConcreteMode, reason: string, evidence: AutoEvidence): Promise<void> {
    return this.feed({ kind: 'request', to, reason, evidence });
  }

  /** Forgets the evidence and evaluates afresh (benchmarks re-run a task from scratch). */
  reset(): void {
    void this.feed({ kind: 'reset' });
  }

  /** Steps the machine; resolves once the proposal it made, if any, is decided. */
  private feed(input: AutoInput): Promise<void> {
    // Nothing to measure against before the task exists (its mode, its counters).
    if (!this.task && input.kind !== 'reset') return Promise.resolve();
    const next = step(this.state, input, this.instant());
    this.state = next.state;
    return this.carryOut(next.actions);
  }

  private carryOut(actions: readonly AutoAction[]): Promise<void> {
    let proposal: Promise<void> = Promise.resolve();
    for (const a of actions) {
      switch (a.kind) {
        case 'probe':
          this.probeLeft = a.calls;
          break;
        case 'start-sampling':
          this.window.markHooked();
          break;
        case 'restart-run':
          this.express.reset();
          break;
        case 'restart-window':
          this.window.reset();
          break;
        case 'propose':
          proposal = this.propose(a.to, a.reason, a.evidence);
          break;
      }
    }
    this.sampling = isSampling(this.state);
    return proposal;
  }

  /**
   * Hands a switch to the guardian and reports the outcome to the machine. A change approved
   * after it was left pending is applied then, and reported as such (its evidence is old, so it
   * gets no trial).
   */
  private async propose(to: ConcreteMode, reason: string, evidence: AutoEvidence): Promise<void> {
    const task = this.task!;
    const promotedBy = this.state.kept.inFlight?.promotedBy ?? this.state.kept.promotedBy;
    let decided = false;
    const apply = async (): Promise<void> => {
      await task.setStrategy(to);
      if (decided) void this.feed({ kind: 'approved-later', to, promotedBy });
    };
    try {
      const decision = await propose(
        {
          id: newProposalId(),
          kind: 'strategy-change',
          taskId: task.id,
          from: task.current,
          to,
          at: this.sources.clock.wallNow(),
          reason,
          evidence,
        },
        apply,
      );
      decided = true;
      await this.feed({ kind: 'decided', decision });
    } catch (err) {
      decided = true;
      await this.feed({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The sources the machine reads, now. */
  private instant(): Instant {
    const task = this.task;
    const m = task?.metrics;
    return {
      mode: task?.current ?? 'sfox',
      loop: this.sources.loop(),
      task: m
        ? { calls: m.successes + m.errors, busyMs: m.busyTime(), started: m.calls }
        : { calls: 0, busyMs: 0, started: 0 },
    };
  }
}

/** The calls `task` has started and its busy time so far (undefined before it is attached). */
function startMark(task: AutoTask | undefined): StartMark | undefined {
  const m = task?.metrics;
  return m ? { calls: m.calls, busyMs: m.busyTime() } : undefined;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null && typeof x === 'object' && typeof (x as PromiseLike<unknown>).then === 'function'
  );
}

/** Shared by every copy of the sdk: the runtime's timing hook looks up tasks of any copy. */
const controllers = processSlot(
  'auto.controllers.v1',
  () => new WeakMap<AutoTask, AutoController>(),
);

export function autoControllerOf(task: AutoTask): AutoController | undefined {
  return controllers.get(task);
}

export function registerAutoController(task: AutoTask, controller: AutoController): void {
  controllers.set(task, controller);
}
