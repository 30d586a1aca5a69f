import type { Attempt, Strategy, StrategyGauges } from './strategy.js';
import type { Call } from '../task/call.js';

const NO_QUEUE: StrategyGauges = Object.freeze({ inFlight: 0, queued: 0, limit: null });

/**
 * SimpleFox: runs the call directly on the caller's event loop. Nothing to admit, queue or
 * release — the task's own metrics already count what is in flight.
 */
export class SfoxStrategy implements Strategy {
  readonly mode = 'sfox' as const;

  run(call: Call, attempt: Attempt): Promise<unknown> {
    return attempt(call);
  }

  gauges(): StrategyGauges {
    return NO_QUEUE;
  }

  async close(): Promise<void> {}
}
