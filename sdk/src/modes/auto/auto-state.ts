import type { ConcreteMode } from '../../protocol/modes.js';
import type { AutoThresholds, PromotionCause } from './decision-rule.js';
import type { WindowEvidence } from './evidence-window.js';
import type { ExpressDecision } from './express-run.js';
import type { AutoEvidence, ProposalDecision } from './proposals.js';

/**
 * The types of auto's state machine: the state (one union over the phases), what it is told
 * (evidence) and what it asks for (actions). The machine itself is auto-step.ts; the adapter
 * that measures calls and carries out actions is auto-controller.ts.
 */

/** Where the machine is in its cycle (see {@link AutoState}). */
export type AutoPhase = AutoState['phase'];

/**
 * The event loop's cumulative idle and active time, ms (what
 * `performance.eventLoopUtilization()` returns): two readings give the utilization between them.
 */
export interface LoopCounters {
  idle: number;
  active: number;
}

/**
 * A task's completed calls and busy time so far (see TaskMetrics.busyTime): their differences
 * over a span give the busy time per call, queueing in a lane or pool included.
 */
export interface PaceMark {
  calls: number;
  busyMs: number;
}

/**
 * The sources the machine reads at the moment of a step, injected so that the step stays pure:
 * the mode in use, the event loop's counters and the task's counters.
 */
export interface Instant {
  /** The mode the task runs in now (it can change from outside: a person, a benchmark). */
  mode: ConcreteMode;
  loop: LoopCounters;
  /** Completed calls and busy time (as {@link PaceMark}), and calls started so far. */
  task: PaceMark & { started: number };
}

/** What two windows' cheap timings are compared on to tell a changed workload. */
export type Shape = Pick<WindowEvidence, 'syncMs' | 'wallMs' | 'fanOut'>;

/** A switch on probation: the mode it left and the busy time per call measured in it. */
export interface Trial {
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
 * `measuredIn`; no shape: for any calls); `span` is the hold that set it, doubled by the next.
 */
export interface Hold {
  until: number;
  span: number;
  shape: Shape | undefined;
  measuredIn: ConcreteMode;
}

/** The current run of consecutive unsampled windows in one mode (the baseline's span). */
export interface Stretch {
  mode: ConcreteMode;
  /** The loop's counters when the run started. */
  since: LoopCounters;
  /** The task's pace when the run started. */
  pace: PaceMark;
  windows: number;
  calls: number;
  busyMs: number;
}

/** A proposal handed to the guardian and not decided yet. */
export interface InFlight {
  to: ConcreteMode;
  /** The mode in use when it was proposed (a denied or pending mode is held off as measured there). */
  from: ConcreteMode;
  /** The calls' shape it was made on (none for a static hint): the hold it gets if not applied. */
  shape: Shape | undefined;
  /** The trial to run once applied at once (none when approved later: its evidence is old). */
  trial: Trial | undefined;
  /** Why the task will be in tfox, if it goes there. */
  promotedBy: PromotionCause;
  /** A switch back after a lost trial: not applied, the mode in use is judged afresh. */
  afterTrial: boolean;
}

/**
 * What a reset keeps: facts about the task and its proposals, not evidence about its workload.
 * A benchmark re-runs a task from scratch with a reset, but the task stays where it is, so why
 * it is in tfox still holds; whether it can run in a worker does not depend on its calls; and a
 * proposal the guardian is deciding is still decided (its outcome applies whatever the phase).
 */
export interface Kept {
  readonly thresholds: AutoThresholds;
  /** Why the task cannot go to tfox (instance method, unknown module, failed switch), if so. */
  ineligible: string | undefined;
  /** Why the task is in tfox, when it is (the decision rule reads it there). */
  promotedBy: PromotionCause;
  /**
   * The proposal being decided, if any. It is orthogonal to the phase (a static hint or a late
   * approval can come in any phase); while it is out, windows are no evidence and no other
   * switch is proposed.
   */
  inFlight: InFlight | undefined;
}

/** What a reset forgets: everything measured about the workload. */
export interface Learned {
  /** Windows decided so far: the clock of holds and probes. */
  windows: number;
  /** The task's pace when the current window started. */
  paceMark: PaceMark;
  /** Modes not to propose for now: they lost a trial, were denied, or await a decision. */
  holds: Readonly<Partial<Record<ConcreteMode, Hold>>>;
  /**
   * Event-loop utilization of the last run of windows without sampling, and the mode it was in:
   * the hooks' own cost inflates it in sampled windows, so the mfox decision uses this one.
   */
  freeLoop: { busy: number; mode: ConcreteMode } | undefined;
  /** Busy time per call over the last unsampled run long enough to measure it, and its mode. */
  freePace: { ms: number; calls: number; mode: ConcreteMode } | undefined;
  stretch: Stretch | undefined;
  /**
   * Watched windows before the next re-evaluation (doubles each time one confirms the mode), and
   * whether a switch came since the last watch (then it starts over from `recheckEvery`).
   */
  recheckIn: number;
  switchedSinceWatch: boolean;
  /** The last decided window's evidence (for telemetry and benchmarks). */
  lastEvidence: WindowEvidence | undefined;
  /**
   * Judged windows in a row that want the same other mode. Only a judged window that wants
   * the mode in use, or a proposal, ends the count; a phase change does not (a window that
   * wanted a lane just before a re-evaluation still counts toward `confirm` after it).
   */
  vote: Vote | undefined;
}

/** Windows in a row that want the same other mode. */
export interface Vote {
  candidate: ConcreteMode;
  agree: number;
}

/**
 * Probes: sampled calls outside the windows that look for a run of strong calls. `probing`: one
 * is under way; the next may start at window `nextAt`, `gap` windows after the last one that
 * found nothing (doubling up to a bound).
 */
export interface ProbeSchedule {
  probing: boolean;
  gap: number;
  nextAt: number;
}

interface Base {
  kept: Kept;
  learned: Learned;
}

/** Fields of the phases that judge windows by the decision rule. */
interface Judging extends Base {
  /** Judged windows in a row that agreed with the mode in use. */
  stable: number;
  probe: ProbeSchedule;
}

/**
 * Measuring the mode in use: windows without sampling first (the loop without the hooks' cost,
 * and the pace), then `sampling` whole calls until `settle` windows agree or `confirm` windows
 * want another mode.
 */
export interface Evaluating extends Judging {
  phase: 'evaluating';
  sampling: boolean;
}

/** The mode is confirmed: only cheap timings, compared with `baseline`'s for drift. */
export interface Watching extends Judging {
  phase: 'watching';
  baseline: Shape;
  /** Watched windows since the evaluation. */
  sinceCheck: number;
}

/** A switch was applied: `left` windows to let the new mode settle, then `trial` if any. */
export interface Cooling extends Base {
  phase: 'cooling';
  left: number;
  trial: Trial | undefined;
}

/** The new mode's busy time per call is being measured to compare with the old one's. */
export interface OnTrial extends Base {
  phase: 'trial';
  trial: Trial;
}

/**
 * AUTO's state for one task. The phase says what the windows are for; each variant carries only
 * what that phase needs; {@link Kept} survives a reset and {@link Learned} does not.
 */
export type AutoState = Evaluating | Watching | Cooling | OnTrial;

/** What the machine is told. */
export type AutoInput =
  /** A window of calls closed (see evidence-window.ts). */
  | { kind: 'window'; evidence: WindowEvidence }
  /** Sampled calls made a run strong enough to decide by itself (see express-run.ts). */
  | { kind: 'strong-run'; run: ExpressDecision }
  /** A probed call was not strong: the probe found no run. */
  | { kind: 'probe-missed' }
  /** An unsampled call held the loop long before its first await (no probe is under way). */
  | { kind: 'long-call' }
  /** A switch asked for from outside (the analyser's static hint). */
  | { kind: 'request'; to: ConcreteMode; reason: string; evidence: AutoEvidence }
  /** The guardian decided the proposal in flight. */
  | { kind: 'decided'; decision: ProposalDecision }
  /** The proposal in flight failed (its strategy could not be created). */
  | { kind: 'failed'; error: string }
  /** A proposal left pending was approved and applied later. */
  | { kind: 'approved-later'; to: ConcreteMode; promotedBy: PromotionCause }
  /** Forget the evidence and evaluate afresh (benchmarks re-run a task from scratch). */
  | { kind: 'reset' };

/** What the machine asks the adapter to do. */
export type AutoAction =
  /** Propose a switch to the guardian, then report the outcome ('decided' or 'failed'). */
  | { kind: 'propose'; to: ConcreteMode; reason: string; evidence: AutoEvidence }
  /** Sample the next `calls` calls outside the windows (0: stop probing). */
  | { kind: 'probe'; calls: number }
  /** Sample every call from now on (the window is hooked from here). */
  | { kind: 'start-sampling' }
  /** Forget the run of strong calls so far. */
  | { kind: 'restart-run' }
  /** Start a new window now: what ended before is not evidence for the next. */
  | { kind: 'restart-window' };

/** One step's result. */
export interface Transition {
  state: AutoState;
  actions: AutoAction[];
}

/** Whether calls starting now are sampled for their whole-call loop time. */
export function isSampling(s: AutoState): boolean {
  return s.phase === 'evaluating' && s.sampling;
}
