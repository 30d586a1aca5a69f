import type { Clock } from '../../clock/clock.js';
import type { LimiterAlgorithmName, ResolvedLimiterOptions } from './limiter-options.js';

/** What a completed call tells a limit algorithm. */
export type SampleOutcome = 'success' | 'dropped';

/** What a limit algorithm may use besides its samples. */
export interface AlgorithmDeps {
  clock: Clock;
  /** Uniform in [0, 1); injected so probes and sampling are reproducible. */
  random: () => number;
}

/**
 * A concurrency-limit algorithm: turns completed calls into a limit. One class per algorithm;
 * the limiter owns admission and queueing, the algorithm only the number.
 */
export interface LimitAlgorithm {
  readonly name: LimiterAlgorithmName;
  /** The limit in force now: an integer in `[min, max]` (or the probe pin while probing). */
  readonly limit: number;
  /**
   * One completed call: its RTT (admission to release, ms), the in-flight count at its admission
   * (itself included) and whether it succeeded or was dropped (timed out / rejected below).
   */
  onSample(rttMs: number, inFlight: number, outcome: SampleOutcome): void;
  /** A call finished without a usable sample; lets time-based state (probe deadlines) advance. */
  tick(): void;
  /** Applies new parameters; the current limit is kept, clamped into the new bounds. */
  configure(options: ResolvedLimiterOptions): void;
  /** Sets the limit (clamped), e.g. when `initial` is configured at run time. */
  reset(limit: number): void;
}

/** Shared bookkeeping: a fractional limit clamped into `[min, max]`. */
export abstract class BoundedLimit implements LimitAlgorithm {
  abstract readonly name: LimiterAlgorithmName;
  protected value: number;
  protected min: number;
  protected max: number;

  constructor(options: ResolvedLimiterOptions, initial: number) {
    this.min = options.min;
    this.max = options.max;
    this.value = this.clamp(initial);
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  abstract onSample(rttMs: number, inFlight: number, outcome: SampleOutcome): void;

  tick(): void {}

  configure(options: ResolvedLimiterOptions): void {
    this.min = options.min;
    this.max = options.max;
    this.value = this.clamp(this.value);
  }

  reset(limit: number): void {
    this.value = this.clamp(limit);
  }

  protected clamp(value: number): number {
    return Math.min(this.max, Math.max(this.min, value));
  }
}
