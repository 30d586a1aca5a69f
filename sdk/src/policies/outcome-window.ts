/**
 * Sliding windows of call outcomes for the rate-based circuit breaker, as resilience4j keeps
 * them: a count window (the last N calls, a ring of outcome bits) and a time window (the last
 * `ms`, in ten buckets, so recording is O(1) and expiry is bucket-granular).
 */

export interface OutcomeWindow {
  /** Records one outcome at time `now` (ms). */
  record(now: number, failed: boolean, slow: boolean): void;
  /** Totals over the window as of `now`. */
  totals(now: number): { calls: number; failures: number; slow: number };
  clear(): void;
}

const FAILED = 1;
const SLOW = 2;

export class CountWindow implements OutcomeWindow {
  private readonly ring: Uint8Array;
  private next = 0;
  private filled = 0;
  private failures = 0;
  private slow = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  record(_now: number, failed: boolean, slow: boolean): void {
    const i = this.next;
    if (this.filled === this.size) {
      const old = this.ring[i]!;
      if (old & FAILED) this.failures--;
      if (old & SLOW) this.slow--;
    } else {
      this.filled++;
    }
    const bits = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    this.ring[i] = bits;
    if (failed) this.failures++;
    if (slow) this.slow++;
    this.next = i + 1 === this.size ? 0 : i + 1;
  }

  totals(): { calls: number; failures: number; slow: number } {
    return { calls: this.filled, failures: this.failures, slow: this.slow };
  }

  clear(): void {
    this.ring.fill(0);
    this.next = this.filled = this.failures = this.slow = 0;
  }
}

const BUCKETS = 10;

export class TimeWindow implements OutcomeWindow {
  private readonly calls = new Float64Array(BUCKETS);
  private readonly failed = new Float64Array(BUCKETS);
  private readonly slowCalls = new Float64Array(BUCKETS);
  /** Slot of the current bucket in the arrays. */
  private head = 0;
  /** Absolute number (`floor(now · BUCKETS / ms)`) of the current bucket; -1 before any. */
  private epoch = -1;
  private sumCalls = 0;
  private sumFailed = 0;
  private sumSlow = 0;

  constructor(readonly ms: number) {}

  private advance(now: number): void {
    // Bucket numbers come from one multiplication and division of the time itself, not from
    // adding a fractional bucket width up, so a boundary never drifts by a rounding error
    // (which let an outcome stay counted just past the window).
    const epoch = Math.floor((now * BUCKETS) / this.ms);
    if (epoch <= this.epoch) return;
    const steps = this.epoch < 0 ? BUCKETS : epoch - this.epoch;
    this.epoch = epoch;
    if (steps >= BUCKETS) {
      this.clearBuckets();
      return;
    }
    for (let s = 0; s < steps; s++) {
      this.head = (this.head + 1) % BUCKETS;
      const h = this.head;
      this.sumCalls -= this.calls[h]!;
      this.sumFailed -= this.failed[h]!;
      this.sumSlow -= this.slowCalls[h]!;
      this.calls[h] = this.failed[h] = this.slowCalls[h] = 0;
    }
  }

  record(now: number, failed: boolean, slow: boolean): void {
    this.advance(now);
    const h = this.head;
    this.calls[h]!++;
    this.sumCalls++;
    if (failed) {
      this.failed[h]!++;
      this.sumFailed++;
    }
    if (slow) {
      this.slowCalls[h]!++;
      this.sumSlow++;
    }
  }

  totals(now: number): { calls: number; failures: number; slow: number } {
    this.advance(now);
    return { calls: this.sumCalls, failures: this.sumFailed, slow: this.sumSlow };
  }

  clear(): void {
    this.clearBuckets();
    this.epoch = -1;
  }

  private clearBuckets(): void {
    this.calls.fill(0);
    this.failed.fill(0);
    this.slowCalls.fill(0);
    this.sumCalls = this.sumFailed = this.sumSlow = 0;
    this.head = 0;
  }
}
