/**
 * The tuner's hooks on a task's call path (`Task.setTuning`), one per phase, so a phase that is
 * not running costs nothing: with no experiment the task has no hook at all.
 *
 * - {@link RecordingHook}: records an interval (for the sandbox and the proposal rules).
 * - {@link CanaryHook}: routes a bounded share of calls through a shadow chain with the
 *   candidate's parameters (its own breaker, budget and bulkhead state) and scores it against
 *   an equal share of control calls.
 * - {@link ScoringHook}: scores every call of the live chain (the watch window after adoption).
 *
 * Calls touched by chaos injection are excluded from every arm.
 */
import { isInjected } from '../chaos/hook.js';
import type { Clock } from '../clock/clock.js';
import type { SeededRandom } from '../chaos/rng.js';
import type { PolicyChain } from '../policies/index.js';
import type { Attempt, Call } from '../task/call.js';
import type { TuningHook } from '../task/task.js';
import { IntervalRecorder } from './recorder.js';
import { callScore } from './sequential-test.js';

export class RecordingHook implements TuningHook {
  readonly recorder: IntervalRecorder;

  constructor(taskId: string, clock: Clock, maxCalls: number) {
    this.recorder = new IntervalRecorder(taskId, clock, maxCalls);
  }

  compose(attempt: Attempt, chain: PolicyChain | undefined): Attempt {
    const below = this.recorder.below(attempt);
    return this.recorder.above(chain ? chain.wrap(below) : below);
  }
}

/**
 * Scores and attempt counts of one arm, in call start order. Only the complete prefix counts
 * (every call started before the newest counted one has finished): otherwise slow calls still
 * running would be missing from the arm that has more of them, and the fast arm would look
 * worse or the slow arm better (survivorship bias). Calls that end in order (the common case)
 * take a fast path with no bookkeeping beyond the arrays.
 */
export class ArmSamples {
  readonly scores: number[] = [];
  readonly latencies: number[] = [];
  /** Calls counted (the complete prefix, chaos-touched calls left out). */
  calls = 0;
  ok = 0;
  failed = 0;
  /** Attempts made by calls of this arm (counted as they start, retries and hedges included). */
  attempts = 0;
  /** Calls observed in this arm (their outcome is scored). */
  started = 0;
  /** Calls sent through this arm's chain, observed or not. */
  routed = 0;
  private next = 0;
  private readonly early = new Map<number, number>();

  constructor(private readonly capMs: number) {}

  /** A call started; returns its ticket for {@link end}. */
  begin(): number {
    return this.started++;
  }

  /**
   * A call ended: `ms` is its latency, negated for a failure; NaN leaves it out (chaos touched
   * it). One number per call, so an out-of-order end costs one map entry.
   */
  end(ticket: number, result: number): void {
    if (ticket !== this.next) {
      this.early.set(ticket, result);
      return;
    }
    this.take(result);
    while (this.early.size > 0 && this.early.has(this.next)) {
      const r = this.early.get(this.next)!;
      this.early.delete(this.next);
      this.take(r);
    }
  }

  private take(r: number): void {
    this.next++;
    if (Number.isNaN(r)) return;
    this.calls++;
    // Negative: a failure (its latency is not needed).
    if (r >= 0) {
      this.ok++;
      this.latencies.push(r);
      this.scores.push(callScore(true, r, this.capMs));
    } else {
      this.failed++;
      this.scores.push(callScore(false, 0, this.capMs));
    }
  }

  /** Attempts per call sent through the arm (the load guard). */
  get attemptsPerCall(): number {
    const calls = Math.max(this.routed, this.started);
    return calls === 0 ? 0 : this.attempts / calls;
  }
}

/**
 * The attempt below one arm's policies: counts the arm's attempts, and flags a call whose
 * attempt got an injected fault (the forge marks it synchronously when it decides) by the
 * arguments every attempt of the call shares. No per-call allocation unless chaos injected.
 */
function armAttempt(attempt: Attempt, arm: ArmSamples, chaos: WeakSet<object>): Attempt {
  return (call: Call) => {
    arm.attempts++;
    const p = attempt(call);
    if (isInjected(call)) chaos.add(call.args);
    return p;
  };
}

/** Ends `call` in `arm`: its latency, negated for a failure, NaN when chaos touched it. */
function finish(
  call: Call,
  arm: ArmSamples,
  ticket: number,
  t0: number,
  ok: boolean,
  clock: Clock,
  chaos: WeakSet<object>,
  excluded: () => void,
): void {
  if (chaos.has(call.args) || isInjected(call)) {
    excluded();
    arm.end(ticket, NaN);
    return;
  }
  const ms = Math.max(0, clock.now() - t0);
  arm.end(ticket, ok ? ms : -ms - 1);
}

export class CanaryHook implements TuningHook {
  readonly control: ArmSamples;
  readonly candidate: ArmSamples;
  /** Calls left out because chaos touched them. */
  chaosExcluded = 0;
  private readonly excluded = () => void this.chaosExcluded++;

  constructor(
    private readonly shadow: PolicyChain,
    /** Share of calls on the candidate (the tuner ramps it up after a first harmless look). */
    public fraction: number,
    private readonly rng: SeededRandom,
    private readonly clock: Clock,
    capMs: number,
  ) {
    this.control = new ArmSamples(capMs);
    this.candidate = new ArmSamples(capMs);
  }

  compose(attempt: Attempt, chain: PolicyChain | undefined): Attempt {
    const chaos = new WeakSet<object>();
    const below = armAttempt(attempt, this.control, chaos);
    const control = chain ? chain.wrap(below) : below;
    const candidate = this.shadow.wrap(armAttempt(attempt, this.candidate, chaos));
    const clock = this.clock;
    const controlArm = this.control;
    return (call: Call) => {
      const u = this.rng.next();
      const f = this.fraction;
      // Only as many control calls are observed as candidate calls (the test wants equal arms);
      // the rest of the control pays for one random number, not for timing and a reaction.
      if (u >= 2 * f) {
        controlArm.routed++;
        return control(call);
      }
      const toCandidate = u < f;
      const arm = toCandidate ? this.candidate : controlArm;
      arm.routed++;
      const ticket = arm.begin();
      const t0 = clock.now();
      const p = (toCandidate ? candidate : control)(call);
      const ex = this.excluded;
      p.then(
        () => finish(call, arm, ticket, t0, true, clock, chaos, ex),
        () => finish(call, arm, ticket, t0, false, clock, chaos, ex),
      );
      return p;
    };
  }

  dispose(): void {
    this.shadow.dispose();
  }
}

export class ScoringHook implements TuningHook {
  readonly samples: ArmSamples;
  chaosExcluded = 0;
  private readonly excluded = () => void this.chaosExcluded++;

  constructor(
    private readonly clock: Clock,
    capMs: number,
  ) {
    this.samples = new ArmSamples(capMs);
  }

  compose(attempt: Attempt, chain: PolicyChain | undefined): Attempt {
    const chaos = new WeakSet<object>();
    const below = armAttempt(attempt, this.samples, chaos);
    const invoke = chain ? chain.wrap(below) : below;
    const clock = this.clock;
    return (call: Call) => {
      const ticket = this.samples.begin();
      const t0 = clock.now();
      const p = invoke(call);
      const arm = this.samples;
      const ex = this.excluded;
      p.then(
        () => finish(call, arm, ticket, t0, true, clock, chaos, ex),
        () => finish(call, arm, ticket, t0, false, clock, chaos, ex),
      );
      return p;
    };
  }
}
