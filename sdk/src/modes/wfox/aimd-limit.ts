import type { Clock } from '../../clock/clock.js';
import { initialLimit, type ResolvedLimiterOptions } from './limiter-options.js';
import { BoundedLimit, type SampleOutcome } from './limit-algorithm.js';

/**
 * AIMD limit (TCP Reno style): a drop — or a call slower than `timeout` — multiplies the limit
 * by `backoff`; a success while the caller keeps the limit busy (in-flight at admission at least
 * half the limit) adds 1/limit, about +1 per limit's worth of calls.
 *
 * Only one decrease per congestion event: calls admitted before the last decrease were sent
 * under the old, larger limit, so their drops are the same event and must not cut again.
 */
export class AimdLimit extends BoundedLimit {
  readonly name = 'aimd' as const;
  private backoff: number;
  private timeout: number;
  private lastDecrease = -Infinity;

  constructor(
    options: ResolvedLimiterOptions,
    private readonly clock: Clock,
    initial = initialLimit(options),
  ) {
    super(options, initial);
    this.backoff = options.aimd.backoff;
    this.timeout = options.aimd.timeout;
  }

  onSample(rttMs: number, inFlight: number, outcome: SampleOutcome): void {
    if (outcome === 'dropped' || rttMs > this.timeout) {
      const now = this.clock.now();
      if (now - rttMs >= this.lastDecrease) {
        this.value = this.clamp(this.value * this.backoff);
        this.lastDecrease = now;
      }
      return;
    }
    if (inFlight * 2 >= this.value) this.value = this.clamp(this.value + 1 / this.value);
  }

  override configure(options: ResolvedLimiterOptions): void {
    super.configure(options);
    this.backoff = options.aimd.backoff;
    this.timeout = options.aimd.timeout;
  }
}
