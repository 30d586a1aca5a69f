import type { ResolvedLimiterOptions } from './limiter-options.js';
import { BoundedLimit, type AlgorithmDeps, type SampleOutcome } from './limit-algorithm.js';
import { MinRttProbe, type ProbeParams } from './min-rtt-probe.js';
import { RttWindow } from './rtt-window.js';

/** Window and probe parameters of the RTT-based algorithms (gradient, vegas). */
export interface WindowParams extends ProbeParams {
  minSamples: number;
  smoothing: number;
}

/** What a closed sample window saw. */
export interface WindowSummary {
  /** The configured percentile of the window's successful RTTs; NaN when it had only drops. */
  rtt: number;
  /** The no-load RTT from the last probe. */
  baseline: number;
  drops: number;
  /** Highest in-flight count at admission in the window (to spot an app-limited caller). */
  peakInFlight: number;
}

/** Windows in a row spent at `min` after which the baseline is presumed stale and re-probed. */
const STALE_AFTER_WINDOWS_AT_MIN = 5;

/**
 * The sampling half of the RTT-based algorithms: collects calls into windows of `window` ms,
 * re-probes the no-load RTT on schedule (and when the limit has sat at `min`, a sign that the
 * baseline is too low for a backend that got slower), and asks the subclass for a new limit at
 * the end of each window. The subclass holds only its control law.
 */
export abstract class ProbedWindowLimit<P extends WindowParams> extends BoundedLimit {
  protected readonly probe: MinRttProbe;
  private readonly window: RttWindow;
  private windowStart: number;
  private drops = 0;
  private peakInFlight = 0;
  private windowsAtMin = 0;

  constructor(
    options: ResolvedLimiterOptions,
    initial: number,
    private readonly deps: AlgorithmDeps,
    protected params: P,
  ) {
    super(options, initial);
    this.window = new RttWindow(deps.random);
    this.probe = new MinRttProbe(deps, params, options.min, options.max);
    this.windowStart = deps.clock.now();
    this.probe.start(this.windowStart);
  }

  /** Subclass control law: the limit this window argues for (smoothing is applied after). */
  protected abstract target(limit: number, window: WindowSummary): number;

  override get limit(): number {
    const limit = Math.floor(this.value);
    return this.probe.probing ? Math.min(limit, this.probe.pin) : limit;
  }

  /** The no-load RTT in use, ms (undefined before the first probe ends). */
  get baseline(): number | undefined {
    return this.probe.baseline;
  }

  get probing(): boolean {
    return this.probe.probing;
  }

  onSample(rttMs: number, inFlight: number, outcome: SampleOutcome): void {
    const now = this.deps.clock.now();
    if (this.probe.probing) {
      if (this.probe.offer(rttMs, inFlight, outcome, now)) this.clearWindow(now);
      return;
    }
    if (outcome === 'dropped') this.drops++;
    else this.window.add(rttMs);
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
    if (
      now - this.windowStart >= this.params.window &&
      this.window.count + this.drops >= this.params.minSamples
    ) {
      this.closeWindow(now);
    }
  }

  override tick(): void {
    const now = this.deps.clock.now();
    if (this.probe.probing) {
      if (this.probe.expire(now)) this.clearWindow(now);
    } else if (now >= this.probe.nextAt) {
      this.probe.start(now);
    }
  }

  configureWindow(options: ResolvedLimiterOptions, params: P): void {
    super.configure(options);
    this.params = params;
    this.probe.configure(params, options.min, options.max);
  }

  private closeWindow(now: number): void {
    const baseline = this.probe.baseline;
    if (baseline !== undefined) {
      const summary: WindowSummary = {
        rtt: this.window.count > 0 ? this.window.percentile(this.params.percentile) : NaN,
        baseline,
        drops: this.drops,
        peakInFlight: this.peakInFlight,
      };
      const next = this.target(this.value, summary);
      this.value = this.clamp(this.value + this.params.smoothing * (next - this.value));
    }
    this.windowsAtMin = this.value <= this.min ? this.windowsAtMin + 1 : 0;
    this.clearWindow(now);
    if (this.windowsAtMin >= STALE_AFTER_WINDOWS_AT_MIN || now >= this.probe.nextAt) {
      this.windowsAtMin = 0;
      this.probe.start(now);
    }
  }

  private clearWindow(now: number): void {
    this.window.clear();
    this.windowStart = now;
    this.drops = 0;
    this.peakInFlight = 0;
  }
}
