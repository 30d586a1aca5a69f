import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ConcreteMode } from '../../protocol/modes.js';
import type { Task } from '../../task/task.js';
import {
  DEFAULT_THRESHOLDS,
  targetMode,
  type AutoThresholds,
  type DecisionEvidence,
  type PromotionCause,
} from './decision-rule.js';
import { EvidenceWindow, type CallTiming, type WindowEvidence } from './evidence-window.js';
import { endSample, LoopSample, runSampled } from './loop-time.js';
import { newProposalId, propose, type AutoEvidence } from './proposals.js';

/**
 * An evaluation that has no unsampled loop measure in the mode in use starts with unsampled
 * windows: at least this many, covering at least this many times the calls in flight. Windows
 * close on completions, which come in bursts while the loop handles them, so a short span would
 * see the loop busier than it is.
 */
const BASELINE_WINDOWS = 2;
const BASELINE_GENERATIONS = 1;
const STRETCH_MAX_WINDOWS = 32;

/** Where the controller is in its cycle (see {@link AutoController}). */
export type AutoPhase = 'evaluating' | 'watching' | 'cooling';

/**
 * AUTO for one task. Each call is timed cheaply (time to its first await, wall time, calls in
 * flight), and each window of calls measures the event loop's utilization. While *evaluating*,
 * after windows without sampling (so the loop is measured without the hooks' own cost),
 * calls on this thread are also sampled for their whole-call loop time (loop-time.ts, which
 * costs async hooks) and each window of calls is judged by
 * {@link targetMode}; a switch is proposed only when `confirm` windows in a row agree, and is
 * followed by a cooldown — so a workload near a threshold does not make the task flap.
 *
 * Once `settle` sampled windows agree with the mode in use, the controller only *watches* the
 * cheap timings and evaluates again when they drift (the workload changed character) or every
 * `recheckEvery` windows. In tfox the calls run in workers, which report their timings for free,
 * so every window is judged there.
 */
export class AutoController {
  private window = new EvidenceWindow();
  private candidate: ConcreteMode | undefined;
  private agree = 0;
  private cool = 0;
  private stable = 0;
  private sinceEvaluation = 0;
  /** Watched windows before the next re-evaluation; grows while the mode keeps being confirmed. */
  private recheckIn: number;
  /** Whether the evaluation under way follows a switch (so it does not lengthen the interval). */
  private switchedSinceWatch = true;
  private switching = false;
  private task: Task | undefined;
  /** The cheap timings the last evaluation ended on, to notice drift. */
  private baseline: WindowEvidence | undefined;
  private promotedBy: PromotionCause = 'first-segment';
  private nextPromotedBy: PromotionCause = 'first-segment';
  /** Whether calls starting now are sampled for their whole-call loop time. */
  private sampling = false;
  /**
   * Event-loop utilization of the last window without sampling, and the mode it was in: the
   * hooks' own cost inflates it in sampled windows, so the mfox decision uses this one.
   */
  private freeLoop: { busy: number; mode: ConcreteMode } | undefined;
  /** The current run of consecutive unsampled windows in one mode. */
  private stretch:
    { mode: ConcreteMode; since: EventLoopUtilization; windows: number; calls: number } | undefined;
  readonly thresholds: AutoThresholds;
  /** Why the task cannot go to tfox (instance method, unknown module), if it cannot. */
  ineligible: string | undefined;
  /** The last decided window's evidence (for telemetry and benchmarks). */
  lastEvidence: WindowEvidence | undefined;
  phase: AutoPhase = 'evaluating';
  /**
   * While true, calls run unmeasured and nothing is decided — e.g. for a benchmark that times
   * each strategy by itself, without auto's own measuring.
   */
  paused = false;

  constructor(thresholds: Partial<AutoThresholds> = {}) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
    this.recheckIn = this.thresholds.recheckEvery;
    this.evaluate();
  }

  /**
   * Whether the mode in use has been confirmed since the last switch: `settle` windows in a row
   * agreed with it (in tfox, judged from the workers' timings), so no switch is under way.
   */
  get settled(): boolean {
    return !this.switching && this.cool === 0 && this.stable >= this.thresholds.settle;
  }

  attach(task: Task, ineligible: string | undefined): void {
    this.task = task;
    this.ineligible = ineligible;
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
    if (this.sampling) return this.runSampled(fn, self, args, fanOut);
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
  ): unknown {
    const tally = this.window.tally;
    const sample = new LoopSample(tally);
    const tallyAtStart = tally.ms;
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
        ownLoopMs: tally.ms - tallyAtStart,
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

  record(timing: CallTiming): void {
    this.window.add(timing);
    if (this.window.calls >= this.thresholds.window) this.decide(this.window.close());
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
      { current, ineligible: this.ineligible !== undefined, promotedBy: this.promotedBy },
    );
  }

  private decide(e: WindowEvidence): void {
    const task = this.task;
    if (!task || this.switching) return;
    const current = task.current;
    this.measureFreeLoop(e, current);
    if (this.cool > 0) {
      // Cooling windows are unsampled: they measure the loop in the new mode.
      if (--this.cool === 0) this.evaluate();
      return;
    }
    if (this.phase === 'evaluating' && !this.sampling) {
      // The evaluation's first windows measure the loop without hooks; the first of them can
      // be a burst of calls starting at once, so the last one counts. Then sample.
      if (this.baselineDone(e.fanOut)) this.startSampling();
      return;
    }
    const onWorker = current === 'tfox';
    if (!onWorker && !e.sampled) {
      // Watching: only the cheap timings; evaluate again when they drift or it is time to.
      if (this.phase !== 'evaluating' && this.shouldRecheck(e)) {
        // The workload may have changed: measure the loop afresh, on it.
        this.freeLoop = undefined;
        this.stretch = undefined;
        this.evaluate();
      }
      return;
    }
    this.lastEvidence = e;
    const free = this.freeLoop;
    // The hooks only add loop work, so a sampled window's utilization bounds the unhooked one
    // from above: the smaller of the two also corrects a measure taken before the workload
    // changed.
    const loopBusy = free && free.mode === current ? Math.min(free.busy, e.loopBusy) : e.loopBusy;
    const want = targetMode({ ...e, loopBusy }, this.thresholds, {
      current,
      ineligible: this.ineligible !== undefined,
      promotedBy: this.promotedBy,
    });
    if (want === current) {
      this.candidate = undefined;
      this.agree = 0;
      if (++this.stable >= this.thresholds.settle && !onWorker) this.watch(e);
      return;
    }
    this.stable = 0;
    if (want === this.candidate) this.agree++;
    else {
      this.candidate = want;
      this.agree = 1;
    }
    if (this.agree < this.thresholds.confirm) return;
    this.candidate = undefined;
    this.agree = 0;
    if (want === 'tfox') {
      // Blocking that the first segment does not show happened after an await.
      this.nextPromotedBy =
        e.syncMs >= this.thresholds.promoteMs ? 'first-segment' : 'later-segment';
    }
    const evidence: AutoEvidence = {
      source: 'runtime',
      syncMs: e.syncMs,
      busyMs: e.busyMs,
      longestMs: e.longestMs,
      wallMs: e.wallMs,
      ioShare: e.ioShare,
      workerWaitShare: e.workerWaitShare,
      fanOut: e.fanOut,
      loopShare: e.loopShare,
      loopBusy,
      calls: e.calls,
    };
    void this.switchTo(want, reasonFor(want, evidence), evidence);
  }

  /**
   * Evaluates again: unless the loop was just measured without hooks in the mode in use, one
   * window of cheap timings first (for that), then whole calls are sampled.
   */
  private evaluate(): void {
    this.phase = 'evaluating';
    this.stable = 0;
    this.sinceEvaluation = 0;
    if (this.freeLoop && this.freeLoop.mode === this.task?.current) this.startSampling();
    else this.sampling = false;
  }

  /**
   * Extends the run of unsampled windows and, once it is long enough (see BASELINE_WINDOWS),
   * takes the loop utilization over it. A run restarts after STRETCH_MAX_WINDOWS so the value
   * stays recent.
   */
  private measureFreeLoop(e: WindowEvidence, mode: ConcreteMode): void {
    if (!e.unhooked) {
      this.stretch = undefined;
      return;
    }
    let st = this.stretch;
    if (!st || st.mode !== mode || st.windows >= STRETCH_MAX_WINDOWS) {
      st = this.stretch = { mode, since: e.eluAtStart, windows: 0, calls: 0 };
    }
    st.windows++;
    st.calls += e.calls;
    if (this.baselineDone(e.fanOut)) {
      this.freeLoop = { busy: performance.eventLoopUtilization(st.since).utilization, mode };
    }
  }

  /** Whether the current unsampled run is long enough to measure the loop. */
  private baselineDone(fanOut: number): boolean {
    const st = this.stretch;
    return (
      st !== undefined &&
      st.mode === this.task?.current &&
      st.windows >= BASELINE_WINDOWS &&
      st.calls >= BASELINE_GENERATIONS * fanOut
    );
  }

  private startSampling(): void {
    this.sampling = true;
    this.window.markHooked();
  }

  /** The mode is confirmed: stop sampling and remember what the calls looked like. */
  private watch(e: WindowEvidence): void {
    this.phase = 'watching';
    this.sampling = false;
    this.baseline = e;
    this.sinceEvaluation = 0;
    const t = this.thresholds;
    this.recheckIn = this.switchedSinceWatch
      ? t.recheckEvery
      : Math.min(t.recheckMax, this.recheckIn * 2);
    this.switchedSinceWatch = false;
  }

  /**
   * Whether the cheap timings moved away from the ones the last evaluation ended on: the time
   * to the first await or the wall time by more than 2× (ignoring changes below `demoteMs`,
   * which are noise at these sizes), or the fan-out across the mfox thresholds.
   */
  private shouldRecheck(e: WindowEvidence): boolean {
    if (++this.sinceEvaluation >= this.recheckIn) return true;
    const b = this.baseline;
    if (!b) return true;
    const t = this.thresholds;
    const moved = (now: number, then: number): boolean =>
      Math.abs(now - then) >= t.demoteMs && (now > 2 * then || then > 2 * now);
    const side = (fanOut: number): number =>
      fanOut >= t.fanOut ? 2 : fanOut >= t.leaveFanOut ? 1 : 0;
    return (
      moved(e.syncMs, b.syncMs) || moved(e.wallMs, b.wallMs) || side(e.fanOut) !== side(b.fanOut)
    );
  }

  /** Proposes `to` (through the proposal hook) and, if applied, cools down. */
  async switchTo(to: ConcreteMode, reason: string, evidence: AutoEvidence): Promise<void> {
    const task = this.task;
    if (!task || task.current === to || this.switching) return;
    this.switching = true;
    try {
      const decision = await propose(
        {
          id: newProposalId(),
          kind: 'strategy-change',
          taskId: task.id,
          from: task.current,
          to,
          at: Date.now(),
          reason,
          evidence,
        },
        () => task.setStrategy(to),
      );
      if (decision === 'applied') {
        // Let the new mode settle (queues fill, workers start) before judging it; no sampling
        // meanwhile, its windows are not evidence.
        this.cool = this.thresholds.cooldown;
        this.phase = 'cooling';
        this.sampling = false;
        this.window.reset();
        this.switchedSinceWatch = true;
        if (to === 'tfox') this.promotedBy = this.nextPromotedBy;
      }
    } catch (err) {
      // The strategy could not be created (e.g. the module cannot be found): stop trying it.
      if (to === 'tfox') this.ineligible = err instanceof Error ? err.message : String(err);
    } finally {
      this.switching = false;
    }
  }

  /** Forgets the evidence and evaluates afresh (benchmarks re-run a task from scratch). */
  reset(): void {
    this.window.reset();
    this.candidate = undefined;
    this.agree = 0;
    this.cool = 0;
    this.baseline = undefined;
    this.lastEvidence = undefined;
    this.freeLoop = undefined;
    this.stretch = undefined;
    this.switchedSinceWatch = true;
    this.evaluate();
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null && typeof x === 'object' && typeof (x as PromiseLike<unknown>).then === 'function'
  );
}

function reasonFor(to: ConcreteMode, e: AutoEvidence): string {
  const f = (n: number | undefined) => (n ?? 0).toFixed(3);
  switch (to) {
    case 'tfox':
      return `calls hold the event loop up to ${f(e.longestMs)} ms at a time (${f(e.busyMs)} ms in all, median): move them to worker threads`;
    case 'mfox':
      return `calls wait on I/O ${Math.round((e.ioShare ?? 0) * 100)}% of the time with ${e.fanOut} in flight: bound them in an I/O lane`;
    default:
      return `calls are light (${f(e.busyMs)} ms on the loop, ${f(e.wallMs)} ms wall): run them directly`;
  }
}

const controllers = new WeakMap<Task, AutoController>();

export function autoControllerOf(task: Task): AutoController | undefined {
  return controllers.get(task);
}

export function registerAutoController(task: Task, controller: AutoController): void {
  controllers.set(task, controller);
}
