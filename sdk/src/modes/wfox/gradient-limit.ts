import { initialLimit, type ResolvedLimiterOptions } from './limiter-options.js';
import type { AlgorithmDeps } from './limit-algorithm.js';
import { ProbedWindowLimit, type WindowSummary } from './probed-window-limit.js';

/** Cap of the gradient on a window that saw drops: drops are congestion whatever the RTT says. */
const DROP_GRADIENT = 0.9;

/**
 * Gradient limit (the default).
 *
 * Each window: gradient = clamp(baseline × tolerance / windowRtt, 0.5, 2), and the new limit is
 * limit × gradient + √limit, smoothed and clamped into `[min, max]`. The √limit headroom keeps
 * probing for capacity and lets small limits grow; 0.5 bounds how fast one bad window can cut.
 *
 * Why the baseline is a probed no-load RTT and not a long-term RTT average (as in Netflix's
 * Gradient2): under sustained overload the long-term average is itself measured under the
 * overload, so it rises with the queue the limit creates, the gradient drifts back towards 1
 * and the limit creeps upward without bound. A baseline re-measured every `probeInterval` by
 * pinning concurrency to `probeLimit` (Envoy's minRTT window) cannot be inflated by the load
 * it regulates; the jitter keeps many limiters from probing in lockstep.
 *
 * A window where the caller never came near the limit (peak in-flight below half of it) is
 * app-limited: its RTT says nothing about capacity above it, so the limit does not grow.
 */
export class GradientLimit extends ProbedWindowLimit<ResolvedLimiterOptions['gradient']> {
  readonly name = 'gradient' as const;

  constructor(
    options: ResolvedLimiterOptions,
    deps: AlgorithmDeps,
    initial = initialLimit(options),
  ) {
    super(options, initial, deps, options.gradient);
  }

  protected target(limit: number, w: WindowSummary): number {
    const tolerance = this.params.tolerance;
    let gradient = Number.isNaN(w.rtt)
      ? 0.5
      : Math.min(2, Math.max(0.5, (w.baseline * tolerance) / w.rtt));
    if (w.drops > 0) gradient = Math.min(gradient, DROP_GRADIENT);
    if (gradient >= 1 && w.peakInFlight < limit / 2) return limit;
    return limit * gradient + Math.sqrt(limit);
  }

  override configure(options: ResolvedLimiterOptions): void {
    this.configureWindow(options, options.gradient);
  }
}
