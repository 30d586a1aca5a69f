/**
 * Circuit breaker with the three trip rules resilience4j has: consecutive failures, and the
 * failure rate and/or slow-call rate over a count or time window (judged once `minCalls` calls
 * are in it). Open → after `halfOpenAfter` the next call moves it to half-open, which admits at
 * most `halfOpenCalls` trial calls; `successThreshold` trial successes close it, any trial
 * failure (or slow trial) re-opens it.
 *
 * No timers: the open → half-open move happens lazily on the next call. Results of calls
 * admitted under an earlier state are ignored (a generation counter), so a slow call that
 * started while closed cannot close a breaker that opened meanwhile.
 *
 * Errors that say nothing about the dependency (caller aborts, local refusals) are neither
 * successes nor failures; a trial that ends that way gives its slot back.
 */
import { z } from 'zod';
import type { Attempt } from '../task/call.js';
import { FoxBrokenCircuitError, errorCode } from './errors.js';
import { CountWindow, TimeWindow, type OutcomeWindow } from './outcome-window.js';
import {
  PolicyBase,
  isLocalRefusal,
  parseOrThrow,
  type BreakEvent,
  type ConfigOf,
  type PolicyContext,
  type PolicyEmitters,
} from './policy.js';

export type BreakerState = 'closed' | 'open' | 'halfOpen' | 'isolated';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
const STATE_NAMES: readonly BreakerState[] = ['closed', 'open', 'halfOpen', 'isolated'];

/** What `toJSON()` saves and `restore()` accepts (monotonic clocks differ per process, so the
 * open period is saved as time remaining). */
export const BreakerSnapshotSchema = z.strictObject({
  version: z.literal(1),
  state: z.enum(['closed', 'open', 'halfOpen', 'isolated']),
  /** For 'open': ms left before half-open. */
  openRemainingMs: z.number().min(0).optional(),
  consecutiveFailures: z.number().int().min(0).default(0),
});
export type BreakerSnapshot = z.input<typeof BreakerSnapshotSchema>;

/** Default `minCalls` for a time window (a count window defaults to its size). */
const DEFAULT_MIN_CALLS = 20;

export class CircuitBreakerPolicy extends PolicyBase<'breaker'> {
  private stateCode = CLOSED;
  /** Bumped on every state change; results from an older generation are ignored. */
  private gen = 0;
  private openedAt = 0;
  private trialsAdmitted = 0;
  private trialSuccesses = 0;
  private consecutiveFailures = 0;
  private window: OutcomeWindow | undefined;

  constructor(config: ConfigOf<'breaker'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('breaker', config, ctx, emit);
    this.window = windowOf(config);
  }

  protected override configured(previous: ConfigOf<'breaker'>): void {
    const cfg = this.cfg;
    if (
      previous.window !== cfg.window ||
      previous.count !== cfg.count ||
      (previous.consecutive === undefined) !== (cfg.consecutive === undefined)
    ) {
      this.window = windowOf(cfg);
      this.consecutiveFailures = 0;
    }
  }

  /** The current state (moves open → half-open when `halfOpenAfter` has passed). */
  get state(): BreakerState {
    if (this.stateCode === OPEN && this.openElapsed()) this.toHalfOpen();
    return STATE_NAMES[this.stateCode]!;
  }

  wrap(inner: Attempt): Attempt {
    return async (call) => {
      const gen = this.enter();
      const start = this.startTime();
      let value: unknown;
      try {
        value = await inner(call);
      } catch (err) {
        this.recordFailure(gen, err, start);
        throw err;
      }
      this.recordSuccess(gen, start);
      return value;
    };
  }

  /**
   * @internal Admits one attempt: returns the generation it runs under (hand it back to
   * `recordSuccess`/`recordFailure`), or throws FoxBrokenCircuitError. Split out of `wrap` so
   * the retry right above can run the breaker's bookkeeping inline (see RetryPolicy).
   */
  enter(): number {
    return this.stateCode === CLOSED ? this.gen : this.admit();
  }

  /** @internal When the attempt started, if slow calls are measured (else 0, no clock read). */
  startTime(): number {
    return this.cfg.slowCallMs !== undefined ? this.ctx.clock.now() : 0;
  }

  /** Non-closed admission: returns the generation the call runs under, or throws. */
  private admit(): number {
    if (this.stateCode === OPEN) {
      if (!this.openElapsed()) {
        const left = this.openedAt + this.cfg.halfOpenAfter - this.ctx.clock.now();
        this.rejected('open');
        throw new FoxBrokenCircuitError('open', Math.max(0, left), this.ctx.taskId);
      }
      this.toHalfOpen();
    }
    if (this.stateCode === HALF_OPEN) {
      if (this.trialsAdmitted < this.cfg.halfOpenCalls) {
        this.trialsAdmitted++;
        return this.gen;
      }
      this.rejected('halfOpenFull');
      throw new FoxBrokenCircuitError('halfOpen', 0, this.ctx.taskId);
    }
    if (this.stateCode === ISOLATED) {
      this.rejected('isolated');
      throw new FoxBrokenCircuitError('isolated', undefined, this.ctx.taskId);
    }
    return this.gen;
  }

  private rejected(reason: 'open' | 'halfOpenFull' | 'isolated'): void {
    const e = this.emit.reject;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, policy: 'breaker', reason });
  }

  /** @internal */
  recordSuccess(gen: number, start: number): void {
    if (gen !== this.gen) return;
    const cfg = this.cfg;
    if (
      this.stateCode === CLOSED &&
      cfg.consecutive !== undefined &&
      cfg.slowCallMs === undefined
    ) {
      this.consecutiveFailures = 0;
      return;
    }
    const now = this.window || cfg.slowCallMs !== undefined ? this.ctx.clock.now() : 0;
    const slow = cfg.slowCallMs !== undefined && now - start >= cfg.slowCallMs;
    this.recordOutcome(false, slow, now);
  }

  /** @internal */
  recordFailure(gen: number, err: unknown, start: number): void {
    if (gen !== this.gen) return;
    if (isLocalRefusal(errorCode(err))) {
      // Says nothing about the dependency: a trial gives its slot back.
      if (this.stateCode === HALF_OPEN && this.trialsAdmitted > 0) this.trialsAdmitted--;
      return;
    }
    const cfg = this.cfg;
    const now = this.window || cfg.slowCallMs !== undefined ? this.ctx.clock.now() : 0;
    const slow = cfg.slowCallMs !== undefined && now - start >= cfg.slowCallMs;
    this.recordOutcome(true, slow, now);
  }

  private recordOutcome(failed: boolean, slow: boolean, now: number): void {
    const cfg = this.cfg;
    if (this.stateCode === HALF_OPEN) {
      if (failed || slow) {
        this.open({ taskId: this.ctx.taskId, reason: 'halfOpenFailure' });
      } else if (++this.trialSuccesses >= (cfg.successThreshold ?? cfg.halfOpenCalls)) {
        this.close('halfOpenSuccess');
      }
      return;
    }
    if (this.stateCode !== CLOSED) return;
    if (cfg.consecutive !== undefined) {
      this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0;
      if (this.consecutiveFailures >= cfg.consecutive) {
        this.open({ taskId: this.ctx.taskId, reason: 'consecutive' });
      }
      return;
    }
    const w = this.window!;
    w.record(now, failed, slow);
    const t = w.totals(now);
    const minCalls = cfg.minCalls ?? cfg.count ?? DEFAULT_MIN_CALLS;
    if (t.calls < minCalls) return;
    const failureRate = t.failures / t.calls;
    const slowCallRate = t.slow / t.calls;
    if (cfg.failureRate !== undefined && failureRate >= cfg.failureRate) {
      this.open({ taskId: this.ctx.taskId, reason: 'failureRate', failureRate, slowCallRate });
    } else if (cfg.slowCallRate !== undefined && slowCallRate >= cfg.slowCallRate) {
      this.open({ taskId: this.ctx.taskId, reason: 'slowCallRate', failureRate, slowCallRate });
    }
  }

  private openElapsed(): boolean {
    return this.ctx.clock.now() - this.openedAt >= this.cfg.halfOpenAfter;
  }

  private open(event: BreakEvent): void {
    this.stateCode = OPEN;
    this.gen++;
    this.openedAt = this.ctx.clock.now();
    this.clearCounters();
    this.emit.break.fire(event);
  }

  private toHalfOpen(): void {
    this.stateCode = HALF_OPEN;
    this.gen++;
    this.trialsAdmitted = 0;
    this.trialSuccesses = 0;
    this.emit.halfOpen.fire({ taskId: this.ctx.taskId });
  }

  private close(reason: 'halfOpenSuccess' | 'manual' | 'restored'): void {
    this.stateCode = CLOSED;
    this.gen++;
    this.clearCounters();
    this.emit.reset.fire({ taskId: this.ctx.taskId, reason });
  }

  private clearCounters(): void {
    this.consecutiveFailures = 0;
    this.trialsAdmitted = 0;
    this.trialSuccesses = 0;
    this.window?.clear();
  }

  /** Holds the breaker open (every call fails fast) until {@link reset}. */
  isolate(): void {
    if (this.stateCode === ISOLATED) return;
    this.stateCode = ISOLATED;
    this.gen++;
    this.clearCounters();
    this.emit.break.fire({ taskId: this.ctx.taskId, reason: 'isolated' });
  }

  /** Closes the breaker and forgets every recorded outcome. */
  reset(): void {
    this.close('manual');
  }

  /** The state to save (e.g. to the store), restorable with {@link restore}. */
  toJSON(): BreakerSnapshot {
    const state = this.state;
    const snap: BreakerSnapshot = {
      version: 1,
      state,
      consecutiveFailures: this.consecutiveFailures,
    };
    if (state === 'open') {
      snap.openRemainingMs = Math.max(
        0,
        this.openedAt + this.cfg.halfOpenAfter - this.ctx.clock.now(),
      );
    }
    return snap;
  }

  /**
   * Restores a saved state. A saved half-open comes back open with no time left, so the next
   * call starts a fresh trial period. Throws FoxConfigError on a malformed snapshot.
   */
  restore(snapshot: unknown): void {
    const s = parseOrThrow(
      BreakerSnapshotSchema,
      snapshot,
      ['breaker', 'snapshot'],
      this.ctx.taskId,
    );
    const now = this.ctx.clock.now();
    this.gen++;
    this.clearCounters();
    switch (s.state) {
      case 'closed':
        this.stateCode = CLOSED;
        this.consecutiveFailures = s.consecutiveFailures;
        this.emit.reset.fire({ taskId: this.ctx.taskId, reason: 'restored' });
        break;
      case 'open':
      case 'halfOpen': {
        const left = s.state === 'open' ? (s.openRemainingMs ?? this.cfg.halfOpenAfter) : 0;
        this.stateCode = OPEN;
        this.openedAt = now - this.cfg.halfOpenAfter + Math.min(left, this.cfg.halfOpenAfter);
        this.emit.break.fire({ taskId: this.ctx.taskId, reason: 'restored' });
        break;
      }
      case 'isolated':
        this.stateCode = ISOLATED;
        this.emit.break.fire({ taskId: this.ctx.taskId, reason: 'isolated' });
        break;
    }
  }
}

function windowOf(cfg: ConfigOf<'breaker'>): OutcomeWindow | undefined {
  if (cfg.consecutive !== undefined) return undefined;
  if (cfg.count !== undefined) return new CountWindow(cfg.count);
  return new TimeWindow(cfg.window ?? 60_000);
}
