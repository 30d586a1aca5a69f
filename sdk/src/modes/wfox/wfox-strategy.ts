import { FoxRejectedError, FoxTimeoutError } from '../../errors/errors.js';
import type { Attempt, Strategy, StrategyGauges } from '../strategy.js';
import type { Call } from '../../task/call.js';
import {
  AdaptiveLimiter,
  type LimiterDeps,
  type LimiterToken,
  type ReleaseOutcome,
} from './adaptive-limiter.js';
import type { LimiterOptions } from './limiter-options.js';

/**
 * WaterFox: runs each call through an {@link AdaptiveLimiter}. A call admitted at once costs one
 * token and the attempt's own promise; only queued calls pay for a continuation.
 *
 * Feedback: success → an RTT sample; FoxTimeoutError or FoxRejectedError from below (the
 * backend is overloaded) → a drop; any other error → no sample (it says nothing about load).
 */
export class WfoxStrategy implements Strategy {
  readonly mode = 'wfox' as const;
  readonly limiter: AdaptiveLimiter;

  /** @throws FoxConfigError when `options` is not a valid `limiter` option. */
  constructor(options: LimiterOptions = {}, deps: LimiterDeps = {}) {
    this.limiter = new AdaptiveLimiter(options, deps);
  }

  run(call: Call, attempt: Attempt): Promise<unknown> {
    const admitted = this.limiter.acquire(call.priority, call.callerSignal);
    if (admitted instanceof Promise) {
      return admitted.then((token) => runAdmitted(call, attempt, token));
    }
    return runAdmitted(call, attempt, admitted);
  }

  gauges(): StrategyGauges {
    const l = this.limiter;
    return { inFlight: l.inFlight, queued: l.queued, limit: l.limit };
  }

  async close(): Promise<void> {
    this.limiter.close();
  }
}

async function runAdmitted(call: Call, attempt: Attempt, token: LimiterToken): Promise<unknown> {
  let outcome: ReleaseOutcome = 'ignore';
  try {
    const value = await attempt(call);
    outcome = 'success';
    return value;
  } catch (err) {
    outcome = feedbackOf(err);
    throw err;
  } finally {
    token.release(outcome);
  }
}

/** What an attempt's error says about load. */
export function feedbackOf(err: unknown): ReleaseOutcome {
  return err instanceof FoxTimeoutError || err instanceof FoxRejectedError ? 'dropped' : 'ignore';
}
