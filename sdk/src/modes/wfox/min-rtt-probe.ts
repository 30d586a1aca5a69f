import type { AlgorithmDeps, SampleOutcome } from './limit-algorithm.js';
import { RttWindow } from './rtt-window.js';

/** Probe parameters shared by the gradient and vegas options. */
export interface ProbeParams {
  window: number;
  percentile: number;
  probeInterval: number;
  probeJitter: number;
  probeLimit: number;
  probeSamples: number;
}

/**
 * Measures the no-load RTT (the baseline) by briefly pinning concurrency low and taking a
 * percentile of the calls that ran under the pin (the idea of Envoy's adaptive-concurrency
 * minRTT window). Only calls admitted while at most `pin` calls were in flight count: a call
 * admitted earlier, under the old limit, ran against a loaded backend.
 */
export class MinRttProbe {
  /** The last measured no-load RTT, ms; undefined until the first probe ends. */
  baseline: number | undefined;
  probing = false;
  /** Clock time at which the next probe is due. */
  nextAt = 0;
  private startedAt = 0;
  private readonly samples: RttWindow;

  constructor(
    private readonly deps: AlgorithmDeps,
    private params: ProbeParams,
    private min: number,
    private max: number,
  ) {
    this.samples = new RttWindow(deps.random);
  }

  /** The limit in force while probing. */
  get pin(): number {
    return Math.min(this.max, Math.max(this.min, this.params.probeLimit));
  }

  configure(params: ProbeParams, min: number, max: number): void {
    const sooner = this.deps.clock.now() + this.interval(params);
    this.params = params;
    this.min = min;
    this.max = max;
    if (sooner < this.nextAt) this.nextAt = sooner;
  }

  start(now: number): void {
    this.probing = true;
    this.startedAt = now;
    this.samples.clear();
  }

  /** Feeds one call to a running probe; true when the probe has just ended. */
  offer(rtt: number, inFlight: number, outcome: SampleOutcome, now: number): boolean {
    if (outcome === 'success' && inFlight <= this.pin) this.samples.add(rtt);
    if (this.samples.count >= this.params.probeSamples) return this.finish(now);
    return this.expire(now);
  }

  /**
   * Ends a probe that ran too long (too few clean calls, e.g. every call failing), keeping what
   * it measured, so a quiet or failing task is never left pinned.
   */
  expire(now: number): boolean {
    if (!this.probing) return false;
    const deadline = Math.max(2_000, 50 * this.params.window);
    return now - this.startedAt >= deadline ? this.finish(now) : false;
  }

  private finish(now: number): true {
    if (this.samples.count > 0) this.baseline = this.samples.percentile(this.params.percentile);
    this.probing = false;
    this.samples.clear();
    this.nextAt = now + this.interval(this.params);
    return true;
  }

  private interval(p: ProbeParams): number {
    // Jitter keeps many limiters (one per task, one per process) from probing in lockstep.
    return p.probeInterval * (1 + p.probeJitter * this.deps.random());
  }
}
