import type { Disposable } from '../events/emitter.js';
import type { PolicyEvents } from '../policies/policy.js';
import type { TaskCounterStats } from '../protocol/stats.js';

/**
 * Counts of what a task's resilience policies did, kept next to its call counts. Attempts are
 * counted by the task's pipeline where an attempt passes the policies (one integer increment);
 * everything else is counted from the policies' own events, which fire only on the path that
 * retries, hedges, falls back, refuses or moves a breaker: a call that simply succeeds pays
 * nothing for them.
 */
export class TaskCounters {
  /** Attempts that passed every policy's admission and went on to chaos and the strategy. */
  attempts = 0;
  retries = 0;
  hedges = 0;
  fallbacks = 0;
  timeouts = 0;
  rejectedByBreaker = 0;
  rejectedByBulkhead = 0;
  rejectedByRateLimit = 0;
  breakerOpened = 0;
  breakerHalfOpened = 0;
  breakerClosed = 0;

  /** Counts the events of a task's policy chain until the result is disposed. */
  listen(events: PolicyEvents): Disposable {
    const subs = [
      events.retry(() => void this.retries++),
      events.hedge(() => void this.hedges++),
      events.fallback(() => void this.fallbacks++),
      events.timeout(() => void this.timeouts++),
      events.reject((e) => {
        if (e.policy === 'breaker') this.rejectedByBreaker++;
        else if (e.policy === 'bulkhead') this.rejectedByBulkhead++;
        else this.rejectedByRateLimit++;
      }),
      events.break(() => void this.breakerOpened++),
      events.halfOpen(() => void this.breakerHalfOpened++),
      events.reset(() => void this.breakerClosed++),
    ];
    return { dispose: () => subs.forEach((s) => s.dispose()) };
  }

  /** The counts as `fox.stats()` reports them. */
  snapshot(): TaskCounterStats {
    return {
      attempts: this.attempts,
      retries: this.retries,
      hedges: this.hedges,
      fallbacks: this.fallbacks,
      timeouts: this.timeouts,
      rejected: {
        breaker: this.rejectedByBreaker,
        bulkhead: this.rejectedByBulkhead,
        rateLimit: this.rejectedByRateLimit,
      },
      breakerTransitions: {
        opened: this.breakerOpened,
        halfOpened: this.breakerHalfOpened,
        closed: this.breakerClosed,
      },
    };
  }
}
