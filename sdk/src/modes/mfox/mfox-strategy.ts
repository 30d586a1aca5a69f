import type { Call } from '../../task/call.js';
import type { Attempt, Strategy, StrategyGauges } from '../strategy.js';
import type { Lane } from './lane.js';

/**
 * MiniFox: runs the call in an I/O lane — at most the lane's limit of calls at once (across
 * every task sharing the lane), the rest queued FIFO; a caller's abort removes a queued call.
 */
export class MfoxStrategy implements Strategy {
  readonly mode = 'mfox' as const;

  constructor(private readonly lane: () => Lane) {}

  run(call: Call, attempt: Attempt): Promise<unknown> {
    return this.lane().run(() => attempt(call), call.callerSignal);
  }

  gauges(): StrategyGauges {
    const l = this.lane();
    return { inFlight: l.inFlight, queued: l.queued, limit: l.limit };
  }

  async close(): Promise<void> {}
}
