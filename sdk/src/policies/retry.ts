/**
 * Retry with backoff and jitter, a `retryOn` filter, and a {@link RetryBudget}. The no-failure
 * path is one async frame and one budget deposit; everything else lives in `retryLoop`, which
 * only runs after a failure.
 *
 * Aborting the caller's signal stops retrying (during the backoff too) with FoxAbortedError.
 * After a cooperative timeout aborted an attempt's signal, the next attempt runs on a fork of
 * the call with a fresh signal, so it does not start out cancelled. When the retries end on an
 * open circuit, the FoxBrokenCircuitError's `cause` is the call's last failure of its own.
 */
import { SeededRandom } from '../chaos/rng.js';
import { FoxAbortedError } from '../errors/errors.js';
import type { Attempt, Call } from '../task/call.js';
import type { CircuitBreakerPolicy } from './circuit-breaker.js';
import { FoxBrokenCircuitError, errorCode, isBrokenCircuitError } from './errors.js';
import {
  PolicyBase,
  errorFilter,
  forkCall,
  type ConfigOf,
  type GiveUpEvent,
  type PolicyContext,
  type PolicyEmitters,
} from './policy.js';
import { RetryBudget } from './retry-budget.js';

/** Errors not retried by default: retrying cannot help, or would add load where it hurts. */
const NOT_RETRIED = new Set([
  'FOX_ABORTED',
  'FOX_VALIDATION',
  'FOX_CONFIG',
  'FOX_SHUTDOWN',
  'FOX_BROKEN_CIRCUIT',
  'FOX_BULKHEAD_REJECTED',
  'FOX_RATE_LIMITED',
]);

/**
 * The delay before retry number `retry` (1 for the first retry), in ms.
 * - constant: `delay`.
 * - exponential: `delay·2^(retry−1)` capped at `maxDelay`, with "equal jitter" (half fixed,
 *   half random) so synchronized clients spread out but the delay never collapses to zero.
 * - decorrelated: AWS "decorrelated jitter", `min(maxDelay, uniform(delay, 3·previous))`.
 */
export function backoffDelay(
  cfg: Pick<ConfigOf<'retry'>, 'backoff' | 'delay' | 'maxDelay'>,
  retry: number,
  previous: number,
  random: () => number,
): number {
  const { delay, maxDelay } = cfg;
  switch (cfg.backoff) {
    case 'constant':
      return Math.min(delay, maxDelay);
    case 'exponential': {
      const d = Math.min(maxDelay, delay * 2 ** (retry - 1));
      return d / 2 + random() * (d / 2);
    }
    case 'decorrelated': {
      const hi = Math.max(delay, previous * 3);
      return Math.min(maxDelay, delay + random() * (hi - delay));
    }
  }
}

export class RetryPolicy extends PolicyBase<'retry'> {
  private budget: RetryBudget | undefined;
  private shouldRetry: (error: unknown) => boolean;
  private random: () => number;

  constructor(config: ConfigOf<'retry'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('retry', config, ctx, emit);
    this.budget = config.budget ? new RetryBudget(config.budget, ctx.clock) : undefined;
    this.shouldRetry = this.filterOf(config);
    this.random = this.randomOf(config.seed);
  }

  /** A `seed` option wins over the context's source, so users can replay jitter too. */
  private randomOf(seed: number | undefined): () => number {
    if (seed === undefined) return this.ctx.random ?? Math.random;
    const rng = new SeededRandom(seed);
    return () => rng.next();
  }

  /** The retry budget, when one is configured (its balance is a useful gauge). */
  get retryBudget(): RetryBudget | undefined {
    return this.budget;
  }

  protected override configured(previous: ConfigOf<'retry'>): void {
    // A new seed restarts the sequence; the same seed keeps the stream where it is.
    if (this.cfg.seed !== previous.seed) this.random = this.randomOf(this.cfg.seed);
    const b = this.cfg.budget;
    if (!b) this.budget = undefined;
    else if (this.budget) this.budget.update(b);
    else this.budget = new RetryBudget(b, this.ctx.clock);
    this.shouldRetry = this.filterOf(this.cfg);
  }

  private filterOf(cfg: ConfigOf<'retry'>): (error: unknown) => boolean {
    return errorFilter(
      cfg.retryOn,
      (_e, code) => code === undefined || !NOT_RETRIED.has(code),
      errorCode,
    );
  }

  wrap(inner: Attempt): Attempt {
    return async (call) => {
      this.budget?.deposit();
      try {
        return await inner(call);
      } catch (err) {
        return this.retryLoop(call, inner, err);
      }
    };
  }

  /**
   * @internal `wrap` fused with the breaker right below (the chain does this whenever both are
   * present): the first attempt runs the breaker's bookkeeping inline, in this one async frame;
   * retries go through `guarded` (the breaker's own wrap). Same behaviour as
   * `wrap(breaker.wrap(below))`, one promise layer less on the no-failure path.
   */
  wrapOverBreaker(breaker: CircuitBreakerPolicy, below: Attempt, guarded: Attempt): Attempt {
    return async (call) => {
      this.budget?.deposit();
      let gen: number;
      try {
        gen = breaker.enter();
      } catch (err) {
        return this.retryLoop(call, guarded, err);
      }
      const start = breaker.startTime();
      let value: unknown;
      try {
        value = await below(call);
      } catch (err) {
        breaker.recordFailure(gen, err, start);
        return this.retryLoop(call, guarded, err);
      }
      breaker.recordSuccess(gen, start);
      return value;
    };
  }

  private async retryLoop(call: Call, inner: Attempt, firstError: unknown): Promise<unknown> {
    const random = this.random;
    let error = firstError;
    // The last failure of the call's own attempts (not an open breaker refusing one): when the
    // retries end on an open circuit, it is what the caller needs to see.
    let underlying = isBrokenCircuitError(firstError) ? undefined : firstError;
    let current = call;
    let previousDelay = 0;
    for (;;) {
      const cfg = this.cfg;
      const made = current.attempt;
      const caller = call.callerSignal;
      let reason: GiveUpEvent['reason'] | undefined;
      if (caller?.aborted) reason = 'aborted';
      else if (made >= cfg.attempts) reason = 'attempts';
      else if (!this.shouldRetry(error)) reason = 'predicate';
      else if (this.budget && !this.budget.tryWithdraw()) reason = 'budget';
      if (reason !== undefined) {
        if (reason === 'aborted') error = new FoxAbortedError(caller!.reason, call.taskId);
        else if (underlying !== undefined) error = withUnderlying(error, underlying);
        this.emit.giveUp.fire({ taskId: call.taskId, attempts: made, reason, error });
        throw error;
      }
      const delay = backoffDelay(cfg, made, previousDelay || cfg.delay, random);
      previousDelay = delay;
      this.emit.retry.fire({ taskId: call.taskId, attempt: made + 1, delay, error });
      if (delay > 0) await this.sleep(delay, call);
      // A cooperative timeout aborted the previous attempt's signal; start the next one clean.
      if (current.aborted && !caller?.aborted) current = forkCall(current);
      current.attempt = made + 1;
      try {
        return await inner(current);
      } catch (err) {
        error = err;
        if (!isBrokenCircuitError(err)) underlying = err;
      }
    }
  }

  private sleep(ms: number, call: Call): Promise<void> {
    const clock = this.ctx.clock;
    const caller = call.callerSignal;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        const error = new FoxAbortedError(caller!.reason, call.taskId);
        this.emit.giveUp.fire({
          taskId: call.taskId,
          attempts: call.attempt,
          reason: 'aborted',
          error,
        });
        reject(error);
      };
      const timer = clock.setTimeout(() => {
        caller?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      caller?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * A broken-circuit error without a cause gets the call's last real failure as its cause (a
 * new error: the breaker's is not ours to change). Any other error is returned as it is.
 */
function withUnderlying(error: unknown, underlying: unknown): unknown {
  if (!isBrokenCircuitError(error) || error.cause !== undefined) return error;
  return new FoxBrokenCircuitError(error.state, error.retryAfterMs, error.taskId, {
    cause: underlying,
  });
}
