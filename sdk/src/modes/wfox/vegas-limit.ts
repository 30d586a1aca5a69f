import { initialLimit, type ResolvedLimiterOptions } from './limiter-options.js';
import type { AlgorithmDeps } from './limit-algorithm.js';
import { ProbedWindowLimit, type WindowSummary } from './probed-window-limit.js';

const DROP_BACKOFF = 0.9;

/**
 * Vegas limit (after TCP Vegas). The calls waiting at the backend are estimated as
 * limit × (1 − baseline / windowRtt); the limit grows by log10(limit) while that queue is
 * below `alpha` × log10(limit) and shrinks by as much above `beta` × log10(limit) (both
 * scaled by at least 1), so the queue it keeps grows slowly with the limit. The baseline comes
 * from the same no-load probe as the gradient algorithm, for the same reason: a minimum taken
 * under load would let the limit drift up with the load.
 */
export class VegasLimit extends ProbedWindowLimit<ResolvedLimiterOptions['vegas']> {
  readonly name = 'vegas' as const;

  constructor(
    options: ResolvedLimiterOptions,
    deps: AlgorithmDeps,
    initial = initialLimit(options),
  ) {
    super(options, initial, deps, options.vegas);
  }

  protected target(limit: number, w: WindowSummary): number {
    const { alpha, beta } = this.params;
    if (w.drops > 0 || Number.isNaN(w.rtt)) return limit * DROP_BACKOFF;
    const step = Math.max(1, Math.log10(limit));
    const queue = limit * (1 - w.baseline / w.rtt);
    if (queue < alpha * step) return w.peakInFlight < limit / 2 ? limit : limit + step;
    if (queue > beta * step) return limit - step;
    return limit;
  }

  override configure(options: ResolvedLimiterOptions): void {
    this.configureWindow(options, options.vegas);
  }
}
