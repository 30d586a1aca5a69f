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
import {
  EvidenceWindow,
  type CallTiming,
  type StartMark,
  type WindowEvidence,
} from './evidence-window.js';
import {
  callsNeeded,
  EXPRESS_MIN_STRENGTH,
  ExpressRun,
  type ExpressDecision,
} from './express-run.js';
import { endSample, LoopSample, runSampled } from './loop-time.js';
import { newProposalId, propose, type AutoEvidence } from './proposals.js';
import { processSlot } from '../../state/process-state.js';

/**
 * An evaluation that has no unsampled measure in the mode in use starts with unsampled windows,
 * and a trial of a new mode measures it the same way: at least this many windows, covering at
 * least this many times the calls in flight. Windows close on completions, which come in bursts
 * while the loop handles them, so a short span would see the loop busier than it is. And
 * latency changes along a burst of calls (all start at once and contend, then fewer drain): two
 * spans of one or two generations compared a burst's start in one mode with its end in the
 * other (the io corpus tasks at fan-out 32–64 kept mfox 14–19% slower than sfox). Over eight
 * generations a span covers whole bursts; four still left the corpus's I/O tasks' trials
 * deciding on one burst's luck. A run of windows restarts only well after that.
 */
const BASELINE_WINDOWS = 3;
const BASELINE_GENERATIONS = 8;
/**
 * …and at least this much busy time, which is what a trial compares. Eight generations of the
 * corpus's mixed/hashThenStore (1 ms of hashing, then a 2 ms wait, 8 at a time) last ~100 ms,
 * and its sfox busy time per call over them came out 1.32–1.86 ms in successive runs; its trials
 * of tfox (really ~14% slower) measured 0.92–1.63× and kept tfox in 2 of 3 corpus runs. Over
 * 250 ms, four trials measured 1.17–1.23× and all went back.
 */
const BASELINE_BUSY_MS = 250;
/**
 * Spans of calls shorter than this (busy time per call) need no minimum time: 250 ms of them
 * would take thousands of calls, and light calls, the usual such tasks, are tried in no other
 * mode. No span waits for the minimum longer than BASELINE_BUSY_MAX_WINDOWS.
 */
const SHORT_CALL_MS = 0.1;
const BASELINE_BUSY_MAX_WINDOWS = 32;
const STRETCH_MAX_WINDOWS = 128;
/** Windows a mode that lost its trial or was denied is not proposed again (doubles each time). */
const HOLD_WINDOWS = 64;
/** Calls a probe samples at most: the longest run that can decide (see express-run.ts). */
const PROBE_CALLS = callsNeeded(EXPRESS_MIN_STRENGTH);
/**
 * Windows between two probes that long calls start, at most; the gap doubles from 1 each time a
 * probe finds calls that are not strong (long before their first await, but waiting with many
 * in flight, or preempted), so the windows of such tasks stay mostly unhooked.
 */
const MAX_PROBE_GAP = 32;

/** Where the controller is in its cycle (see {@link AutoController}). */
export type AutoPhase = 'evaluating' | 'watching' | 'cooling' | 'trial';

/**
 * A task's completed calls and busy time so far (see TaskMetrics.busyTime): their differences
 * over a span give the busy time per call, queueing in a lane or pool included.
 */
interface PaceMark {
  calls: number;
  busyMs: number;
}

/** A switch on probation: the mode it left and the busy time per call measured in it. */
interface Trial {
  from: ConcreteMode;
  to: ConcreteMode;
  fromMs: number;
  /**
   * The window that made the switch, to tell a changed workload from a mode's effect. The trial
   * spans generations of its fan-out too: in a lane or pool fewer calls run at once, and a span
   * sized by them alone would cover part of a burst.
   */
  evidence: WindowEvidence;
}

/**
 * A mode not to propose again before window `until` for calls shaped like `shape` (measured in
 * `measuredIn`); `span` is the hold that set it.
 */
interface Hold {
  until: number;
  span: number;
  shape: Shape | undefined;
  measuredIn: ConcreteMode;
}

/** What {@link AutoController.drifted} compares. */
type Shape = Pick<WindowEvidence, 'syncMs' | 'wallMs' | 'fanOut'>;

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
 *
 * The rule reads how calls use the loop, not what a mode will do for them: a worker can lose to
 * the loop on memory-bound work, and an I/O lane to none when the loop is what calls queue for.
 * So every switch the rule makes is a *trial*: after the cooldown, the task's busy time per call
 * in the new mode (queueing included; see TaskMetrics.busyTime) is compared with the one
 * measured in the old mode just before — a call's latency when calls come one at a time, a
 * burst's time over its calls when they come together (a lane answers half a burst early, so
 * callers' mean latency would favour it while the burst takes longer). Worse (by more than
 * `trialMargin` for tfox; for mfox, not better by `laneGain`), and auto switches back and holds
 * the losing mode off for a while (a denied or pending proposal is held off the same way),
 * doubling each time — the way a circuit breaker probes again after its break.
 *
 * Strong evidence does not wait for windows: calls that each hold the loop far beyond the
 * threshold propose tfox after a run of them, the shorter the stronger they are (3 calls at
 * 50 ms, 6 at 5 ms; see express-run.ts). To see such calls early, an evaluation starts by
 * sampling its first calls (a *probe*, which ends at the first call that is not strong), and a
 * call whose time to its first await alone is that long starts a probe at any time outside a
 * trial. Probed calls stay out of the windows, which keep measuring the loop without hooks. The
 * run's own busy time per call is the "before" of the trial that follows, as usual.
 */
export class AutoController {
  private window = new EvidenceWindow();
  /** The current run of strong sampled calls (the fast path to tfox). */
  private readonly express: ExpressRun;
  /** Calls still to sample for a run, outside the windows (see the class comment). */
  private probeLeft = 0;
  /** Whether a probe is under way (it ends at a decision or at a call that is not strong). */
  private probing = false;
  /** The window in which the last probe found nothing, and the windows until the next one. */
  private probedIn = 0;
  private probeGap = 0;
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
  /** Windows decided so far (the clock of the holds). */
  private windows = 0;
  /** Modes not to propose for now: they lost a trial, were denied, or await a decision. */
  private readonly holds = new Map<ConcreteMode, Hold>();
  /** The switch on probation, from when it is applied until its trial ends. */
  private trial: Trial | undefined;
  /** The task's calls and busy time when the current window started. */
  private paceMark: PaceMark = { calls: 0, busyMs: 0 };
  /** Busy time per call over the last unsampled run long enough to measure it, and its mode. */
  private freePace: { ms: number; calls: number; mode: ConcreteMode } | undefined;
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
    | {
        mode: ConcreteMode;
        since: EventLoopUtilization;
        pace: PaceMark;
        windows: number;
        calls: number;
        busyMs: number;
      }
    | undefined;
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
    this.express = new ExpressRun(this.thresholds.promoteMs);
    this.evaluate();
  }

  /**
   * Whether the mode in use has been confirmed since the last switch: `settle` windows in a row
   * agreed with it (in tfox, judged from the workers' timings), so no switch is under way.
   */
  get settled(): boolean {
    return (
      !this.switching &&
      this.cool === 0 &&
      this.trial === undefined &&
      this.stable >= this.thresholds.settle
    );
  }

  attach(task: Task, ineligible: string | undefined): void {
    this.task = task;
    this.ineligible = ineligible;
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

  record(timing: CallTiming): void {
    if (timing.busyMs !== undefined) this.addToRun(timing);
    else if (timing.syncMs >= EXPRESS_MIN_STRENGTH * this.thresholds.promoteMs) this.startProbe();
    if (timing.probe) this.window.skip();
    else this.window.add(timing);
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
    this.windows++;
    this.measureFreeLoop(e, current);
    if (this.cool > 0) {
      // Cooling windows are unsampled: they measure the loop in the new mode.
      if (--this.cool === 0) {
        if (this.trial) this.startTrial();
        else this.evaluate();
      }
      return;
    }
    if (this.phase === 'trial') {
      const trial = this.trial;
      const free = this.freePace;
      // A worker's own timing of the same work can differ from the loop's (two threads share
      // memory bandwidth), so in tfox only the callers' fan-out tells a changed workload.
      if (!trial || this.drifted(e, trial.evidence, { sync: current !== 'tfox', wall: false })) {
        // The workload changed under the trial: its latencies compare nothing. Judge afresh.
        this.trial = undefined;
        this.evaluate();
      } else if (
        free?.mode === current &&
        this.baselineDone(Math.max(e.fanOut, trial.evidence.fanOut))
      ) {
        this.endTrial(trial, free.ms, e);
      }
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
      if (this.phase === 'evaluating') return;
      const b = this.baseline;
      const drifted = !b || this.drifted(e, b, { sync: true, wall: true });
      if (drifted || ++this.sinceEvaluation >= this.recheckIn) {
        // The workload may have changed: measure the loop afresh, on it. (Calls of another
        // shape may try the modes held off for the old ones again: see isHeld.)
        this.freeLoop = undefined;
        this.freePace = undefined;
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
    const ruled = targetMode({ ...e, loopBusy }, this.thresholds, {
      current,
      ineligible: this.ineligible !== undefined,
      promotedBy: this.promotedBy,
    });
    const want = this.isHeld(ruled, e, current) ? current : ruled;
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
    const evidence = evidenceOf(e, loopBusy);
    const before = this.freePace;
    const trial =
      before?.mode === current
        ? { from: current, to: want, fromMs: before.ms, evidence: e }
        : undefined;
    void this.switchTo(want, reasonFor(want, evidence), evidence, trial);
  }

  /** The new mode has cooled down: measure its busy time per call without sampling. */
  private startTrial(): void {
    this.phase = 'trial';
    this.sampling = false;
    this.stretch = undefined;
    this.freePace = undefined;
  }

  /** Keeps the mode on trial, or goes back to the one it replaced and holds it off. */
  private endTrial(trial: Trial, ms: number, e: WindowEvidence): void {
    this.trial = undefined;
    const t = this.thresholds;
    const margin = trial.to === 'tfox' ? t.trialMargin : trial.to === 'mfox' ? -t.laneGain : 0;
    if (ms <= trial.fromMs * (1 + margin)) {
      this.evaluate();
      return;
    }
    this.hold(trial.to, trial.evidence, trial.from);
    const evidence: AutoEvidence = {
      ...evidenceOf(e, e.loopBusy),
      trial: { mode: trial.to, msPerCall: ms, fromMsPerCall: trial.fromMs },
    };
    const gain = margin < 0 ? ` (not ${Math.round(-margin * 100)}% less)` : '';
    const reason =
      `on trial, calls took ${ms.toFixed(3)} ms in ${trial.to} against ` +
      `${trial.fromMs.toFixed(3)} ms in ${trial.from}${gain}: back to ${trial.from}`;
    void this.switchTo(trial.from, reason, evidence).then(() => {
      // Not switched back (denied, pending): judge the mode in use afresh.
      if (this.task?.current === trial.to && this.phase === 'trial') this.evaluate();
    });
  }

  /**
   * Holds `mode` off for a while, twice as long as the last time it was held, for calls shaped
   * like `shape` (measured in `measuredIn`; no shape: for any calls).
   */
  private hold(mode: ConcreteMode, shape: Shape | undefined, measuredIn: ConcreteMode): void {
    const span = Math.min(
      this.thresholds.recheckMax,
      this.holds.has(mode) ? this.holds.get(mode)!.span * 2 : HOLD_WINDOWS,
    );
    this.holds.set(mode, { until: this.windows + span, span, shape, measuredIn });
  }

  /**
   * Whether `mode` is held off for calls like `e` (measured in `current`). Calls of another
   * shape (fan-out across a threshold, or time to the first await 2× off, when both were
   * measured on this thread) may try it again at once: one window's 2× swing is not enough,
   * since a switch needs `confirm` windows in a row that want it.
   */
  private isHeld(mode: ConcreteMode, e: WindowEvidence, current: ConcreteMode): boolean {
    const h = this.holds.get(mode);
    if (h === undefined || this.windows >= h.until) return false;
    if (!h.shape) return true;
    const sync = current !== 'tfox' && h.measuredIn !== 'tfox';
    return !this.drifted(e, h.shape, { sync, wall: false });
  }

  /**
   * Evaluates again: unless the loop was just measured without hooks in the mode in use, one
   * window of cheap timings first (for that), then whole calls are sampled.
   */
  private evaluate(): void {
    this.phase = 'evaluating';
    this.stable = 0;
    this.sinceEvaluation = 0;
    this.express.reset();
    this.probeLeft = 0;
    this.probing = false;
    this.probeGap = 0;
    if (this.freeLoop && this.freeLoop.mode === this.task?.current) this.startSampling();
    else {
      this.sampling = false;
      // In tfox the calls run in workers: nothing to sample here.
      if (this.task?.current !== 'tfox') this.probe();
    }
  }

  /** Whether a run of strong calls may propose tfox now. */
  private expressOpen(): boolean {
    const task = this.task;
    return (
      task !== undefined &&
      task.current !== 'tfox' &&
      this.ineligible === undefined &&
      !this.switching &&
      this.cool === 0 &&
      (this.phase === 'evaluating' || this.phase === 'watching')
    );
  }

  /**
   * A call held the loop long before its first await: sample the next calls for a run, unless
   * the last probe found nothing too recently (see MAX_PROBE_GAP).
   */
  private startProbe(): void {
    if (this.sampling || this.probeLeft > 0 || this.windows < this.probedIn + this.probeGap) return;
    if (this.expressOpen()) this.probe();
  }

  private probe(): void {
    this.probing = true;
    this.probeLeft = PROBE_CALLS;
  }

  /** The probe under way ends; unless it found a run to propose, the next one waits longer. */
  private endProbe(found: boolean): void {
    this.probing = false;
    this.probeLeft = 0;
    if (found) return;
    this.probedIn = this.windows;
    this.probeGap = Math.min(MAX_PROBE_GAP, Math.max(1, 2 * this.probeGap));
  }

  /** Adds a sampled call to the run of strong calls, and proposes tfox once it decides. */
  private addToRun(t: CallTiming): void {
    if (!this.expressOpen()) {
      this.express.reset();
      return;
    }
    const run = this.express.add(t);
    if (run) this.promoteNow(run);
    // A call that is not strong ends the run, and the probe that looked for one.
    else if (t.probe && this.probing && this.express.length === 0) this.endProbe(false);
  }

  /**
   * Proposes tfox on a run of strong calls, unless tfox is held off for calls like these. The
   * trial that follows compares with the run's busy time per call: a call's latency when they
   * came one at a time (the median: a preempted call moves nothing); otherwise the task's busy
   * time over the run's span per call started in it — exact for calls that never wait (each
   * one started has run), and low for calls that wait, which only makes the trial stricter.
   */
  private promoteNow(run: ExpressDecision): void {
    const task = this.task!;
    const current = task.current;
    const e = run.evidence;
    const held = this.isHeld('tfox', e, current);
    this.endProbe(!held);
    if (held) return;
    this.lastEvidence = e;
    this.candidate = undefined;
    this.agree = 0;
    this.nextPromotedBy = e.syncMs >= this.thresholds.promoteMs ? 'first-segment' : 'later-segment';
    const fromMs = e.fanOut > 1 ? paceSince(task, run.since) : e.wallMs;
    const trial =
      fromMs === undefined
        ? undefined
        : { from: current, to: 'tfox' as const, fromMs, evidence: e };
    const evidence = evidenceOf(e, e.loopBusy);
    const times = Math.floor(run.strength);
    const reason = `${reasonFor('tfox', evidence)}; ${e.calls} calls in a row, each ≥ ${times}× the ${this.thresholds.promoteMs} ms threshold`;
    void this.switchTo('tfox', reason, evidence, trial);
  }

  /**
   * Extends the run of unsampled windows and, once it is long enough (see BASELINE_WINDOWS),
   * takes the loop utilization and the busy time per call over it. A run restarts after
   * STRETCH_MAX_WINDOWS so the values stay recent.
   */
  private measureFreeLoop(e: WindowEvidence, mode: ConcreteMode): void {
    const atStart = this.paceMark;
    const now = (this.paceMark = paceOf(this.task));
    if (!e.unhooked) {
      this.stretch = undefined;
      return;
    }
    let st = this.stretch;
    if (!st || st.mode !== mode || st.windows >= STRETCH_MAX_WINDOWS) {
      st = this.stretch = {
        mode,
        since: e.eluAtStart,
        pace: atStart,
        windows: 0,
        calls: 0,
        busyMs: 0,
      };
    }
    st.windows++;
    st.calls += e.calls;
    st.busyMs = now.busyMs - st.pace.busyMs;
    if (this.baselineDone(e.fanOut)) {
      this.freeLoop = { busy: performance.eventLoopUtilization(st.since).utilization, mode };
      const n = now.calls - st.pace.calls;
      if (n > 0) this.freePace = { ms: (now.busyMs - st.pace.busyMs) / n, calls: n, mode };
    }
  }

  /** Whether the current unsampled run is long enough to measure the loop and the pace. */
  private baselineDone(fanOut: number): boolean {
    const st = this.stretch;
    return (
      st !== undefined &&
      st.mode === this.task?.current &&
      st.windows >= BASELINE_WINDOWS &&
      st.calls >= BASELINE_GENERATIONS * fanOut &&
      (st.busyMs >= BASELINE_BUSY_MS ||
        st.busyMs < st.calls * SHORT_CALL_MS ||
        st.windows >= BASELINE_BUSY_MAX_WINDOWS)
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
    // A run starts afresh from the next probe: the calls before it confirmed the mode.
    this.express.reset();
    this.baseline = e;
    this.sinceEvaluation = 0;
    const t = this.thresholds;
    this.recheckIn = this.switchedSinceWatch
      ? t.recheckEvery
      : Math.min(t.recheckMax, this.recheckIn * 2);
    this.switchedSinceWatch = false;
  }

  /**
   * Whether the cheap timings moved away from `then`'s: the fan-out across the mfox thresholds,
   * or (as asked) the time to the first await or the wall time by more than 2× (ignoring
   * changes below `demoteMs`, which are noise at these sizes).
   */
  private drifted(e: Shape, then: Shape, compare: { sync: boolean; wall: boolean }): boolean {
    const t = this.thresholds;
    const moved = (a: number, b: number): boolean =>
      Math.abs(a - b) >= t.demoteMs && (a > 2 * b || b > 2 * a);
    const side = (fanOut: number): number =>
      fanOut >= t.fanOut ? 2 : fanOut >= t.leaveFanOut ? 1 : 0;
    return (
      (compare.sync && moved(e.syncMs, then.syncMs)) ||
      (compare.wall && moved(e.wallMs, then.wallMs)) ||
      side(e.fanOut) !== side(then.fanOut)
    );
  }

  /**
   * Proposes `to` (through the proposal hook). Applied, now or later (a person approved a
   * pending proposal), the controller cools down in it, then runs `trial` if given. Denied or
   * pending, `to` is held off so the same change is not proposed again every few windows.
   */
  async switchTo(
    to: ConcreteMode,
    reason: string,
    evidence: AutoEvidence,
    trial?: Trial,
  ): Promise<void> {
    const task = this.task;
    if (!task || task.current === to || this.switching) return;
    this.switching = true;
    let decided = false;
    const apply = async (): Promise<void> => {
      await task.setStrategy(to);
      // Approved after the proposal was left pending: its evidence is old, so no trial.
      if (decided) this.applied(to, undefined);
    };
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
        apply,
      );
      decided = true;
      if (decision === 'applied') this.applied(to, trial);
      else this.hold(to, shapeOf(evidence), task.current);
    } catch (err) {
      // The strategy could not be created (e.g. the module cannot be found): stop trying it.
      if (to === 'tfox') this.ineligible = err instanceof Error ? err.message : String(err);
    } finally {
      decided = true;
      this.switching = false;
    }
  }

  /** `to` is in use: let it settle (queues fill, workers start) before judging it. */
  private applied(to: ConcreteMode, trial: Trial | undefined): void {
    this.holds.delete(to);
    this.trial = trial;
    // No sampling meanwhile: the cooling windows are not evidence.
    this.cool = this.thresholds.cooldown;
    this.phase = 'cooling';
    this.sampling = false;
    this.endProbe(true);
    this.express.reset();
    this.restartWindow();
    this.switchedSinceWatch = true;
    if (to === 'tfox') this.promotedBy = this.nextPromotedBy;
  }

  /**
   * Starts a new window now, busy time included: calls that ended while no window was closing
   * (paused, switching) must not count in the next span's measure.
   */
  private restartWindow(): void {
    this.window.reset();
    this.paceMark = paceOf(this.task);
  }

  /** Forgets the evidence and evaluates afresh (benchmarks re-run a task from scratch). */
  reset(): void {
    this.restartWindow();
    this.candidate = undefined;
    this.agree = 0;
    this.cool = 0;
    this.baseline = undefined;
    this.lastEvidence = undefined;
    this.freeLoop = undefined;
    this.freePace = undefined;
    this.stretch = undefined;
    this.trial = undefined;
    this.holds.clear();
    this.switchedSinceWatch = true;
    this.evaluate();
  }
}

/** The completed calls and busy time of `task` so far (zero before it is attached). */
function paceOf(task: Task | undefined): PaceMark {
  const m = task?.metrics;
  return m ? { calls: m.successes + m.errors, busyMs: m.busyTime() } : { calls: 0, busyMs: 0 };
}

/** The calls `task` has started and its busy time so far (undefined before it is attached). */
function startMark(task: Task | undefined): StartMark | undefined {
  const m = task?.metrics;
  return m ? { calls: m.calls, busyMs: m.busyTime() } : undefined;
}

/** The task's busy time per call started since `since` (which that call counted itself). */
function paceSince(task: Task, since: StartMark | undefined): number | undefined {
  if (!since) return undefined;
  const m = task.metrics;
  const calls = m.calls - since.calls + 1;
  return calls > 0 ? (m.busyTime() - since.busyMs) / calls : undefined;
}

/** The calls' shape a proposal was made on (none for a static hint). */
function shapeOf(e: AutoEvidence): Shape | undefined {
  const { syncMs, wallMs, fanOut } = e;
  return syncMs === undefined || wallMs === undefined || fanOut === undefined
    ? undefined
    : { syncMs, wallMs, fanOut };
}

function evidenceOf(e: WindowEvidence, loopBusy: number): AutoEvidence {
  return {
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

/** Shared by every copy of the sdk: the runtime's timing hook looks up tasks of any copy. */
const controllers = processSlot('auto.controllers.v1', () => new WeakMap<Task, AutoController>());

export function autoControllerOf(task: Task): AutoController | undefined {
  return controllers.get(task);
}

export function registerAutoController(task: Task, controller: AutoController): void {
  controllers.set(task, controller);
}
