/**
 * A bounded bag of RTT samples with a percentile query. Past its capacity it keeps a uniform
 * reservoir sample, so a busy window costs fixed memory and its percentile stays unbiased.
 */
export class RttWindow {
  private readonly samples: Float64Array;
  private n = 0;
  private seen = 0;

  constructor(
    private readonly random: () => number,
    capacity = 512,
  ) {
    this.samples = new Float64Array(capacity);
  }

  get count(): number {
    return this.seen;
  }

  add(rtt: number): void {
    this.seen++;
    if (this.n < this.samples.length) {
      this.samples[this.n++] = rtt;
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.samples.length) this.samples[slot] = rtt;
  }

  /** The p-th percentile (0 < p ≤ 1) of the samples; NaN when empty. Reorders the samples. */
  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const view = this.samples.subarray(0, this.n);
    view.sort();
    return view[Math.min(this.n - 1, Math.max(0, Math.ceil(p * this.n) - 1))]!;
  }

  clear(): void {
    this.n = 0;
    this.seen = 0;
  }
}
