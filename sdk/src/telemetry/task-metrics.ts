import { LatencyHistogram } from './histogram.js';
import { TaskCounters } from './task-counters.js';

/** Above this many calls per second a task's latencies are timed on a uniform sample. */
export const TIMED_CALLS_PER_SECOND = 16_384;
/** Calls between two checks of a task's call rate. */
const RATE_WINDOW = 4096;

/**
 * The cheap, always-on aggregates of one task. Counting is exact; latency needs two clock reads,
 * and a clock read costs 80–100 ns on common VMs — more than the rest of an sfox call. So every
 * call is timed while a task runs below {@link TIMED_CALLS_PER_SECOND}, and above it a uniform
 * random sample is (sized to about that many per second). Random, not every k-th call, so a
 * periodic workload cannot alias with the sample. Quantiles of a uniform sample are unbiased.
 */
export class TaskMetrics {
  calls = 0;
  successes = 0;
  errors = 0;
  inFlight = 0;
  /** Attempts, retries, hedges, fallbacks, refusals and breaker changes (see TaskCounters). */
  readonly counters = new TaskCounters();
  readonly errorsByCode = new Map<string, number>();
  /** Latency of the timed calls (all of them at moderate rates) since registration. */
  readonly latency = new LatencyHistogram();
  /** A call is timed when `(rng & mask) === 0`; mask 0 times every call. */
  private mask = 0;
  private rng = 0x9e3779b9;
  private windowStart = -1;
  /** Whether busy time is tracked (see {@link trackBusyTime}). */
  private trackBusy = false;
  private busyMs = 0;
  private busySince = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Whether to time the call that is starting. Costs a few integer operations, plus one clock
   * read every {@link RATE_WINDOW} calls to re-size the sample.
   */
  shouldTime(): boolean {
    if ((this.calls & (RATE_WINDOW - 1)) === 0) this.resample();
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (x & this.mask) === 0;
  }

  private resample(): void {
    const now = this.now();
    if (this.windowStart >= 0) {
      const perSecond = (RATE_WINDOW * 1000) / Math.max(now - this.windowStart, 1e-3);
      const ratio = perSecond / TIMED_CALLS_PER_SECOND;
      // Power-of-two sample rates so the check stays a mask.
      this.mask = ratio <= 1 ? 0 : Math.min(2 ** Math.ceil(Math.log2(ratio)), 1024) - 1;
    }
    this.windowStart = now;
  }

  /**
   * Tracks from now on the time the task has calls in flight (see {@link busyTime}), for tasks
   * that need it (auto's): a busy period's ends take the calls' own clock readings, and a clock
   * read of their own only when a call there is not timed.
   */
  trackBusyTime(): void {
    if (this.trackBusy) return;
    this.trackBusy = true;
    this.busySince = this.now();
  }

  /**
   * Milliseconds, since {@link trackBusyTime}, with at least one call in flight. Over a span,
   * busy time per completed call is a call's latency for calls made one at a time, and a burst's
   * duration over its calls for calls made together: what a caller waiting for all of them sees.
   */
  busyTime(): number {
    return this.busyMs + (this.trackBusy && this.inFlight > 0 ? this.now() - this.busySince : 0);
  }

  /** A call starts, at clock reading `at` (negative: it is not timed). */
  start(at = -1): void {
    this.calls++;
    if (this.inFlight++ === 0 && this.trackBusy) this.busySince = at < 0 ? this.now() : at;
  }

  private ended(at: number): void {
    if (--this.inFlight === 0 && this.trackBusy) {
      this.busyMs += (at < 0 ? this.now() : at) - this.busySince;
    }
  }

  /**
   * A call that {@link start}ed succeeded after `ms`, at clock reading `at` (negative: it was
   * not timed).
   */
  success(ms: number, at = -1): void {
    this.ended(at);
    this.successes++;
    if (ms >= 0) this.latency.record(ms);
  }

  /** A call that {@link start}ed failed after `ms`, at clock reading `at` (negative: not timed). */
  failure(ms: number, error: unknown, at = -1): void {
    this.ended(at);
    this.errors++;
    if (ms >= 0) this.latency.record(ms);
    const code = errorCode(error);
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  /** A call was refused before it started (bad input): counted as a call and an error. */
  refused(error: unknown): void {
    this.calls++;
    this.errors++;
    const code = errorCode(error);
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }
}

/** The key an error is counted under: its string `code`, else its class name. */
export function errorCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0 && code.length <= 64) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return typeof error === 'string' ? 'string' : 'unknown';
}
