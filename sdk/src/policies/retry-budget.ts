/**
 * Retry budget (Finagle's RetryBudget, as a token bucket): every call deposits `ratio` tokens,
 * time adds `minPerSecond` tokens per second, and a retry spends one. So over any interval of
 * length T with C calls, retries ≤ capacity + ratio·C + minPerSecond·T — retries cannot amplify
 * an outage beyond (1 + ratio)× the offered load once the reserve is spent.
 *
 * The capacity (`reserve`) defaults to ten seconds of the floor (at least one token), like
 * Finagle's 10 s TTL: it absorbs a short blip after quiet traffic without letting a long healthy
 * period bank an unbounded burst of retries. The hedge policy uses the same bucket for hedges.
 */
import type { Clock } from '../clock/clock.js';
import type { RetryBudgetConfig } from './options.js';

/** Seconds of the per-second floor the bucket can hold. */
export const BUDGET_RESERVE_SECONDS = 10;

export class RetryBudget {
  private tokens: number;
  private last: number;
  private ratio: number;
  private perMs: number;
  private cap: number;

  constructor(
    config: RetryBudgetConfig,
    private readonly clock: Clock,
  ) {
    this.ratio = config.ratio;
    this.perMs = config.minPerSecond / 1000;
    this.cap = capacityOf(config);
    this.tokens = this.cap;
    this.last = clock.now();
  }

  /** Applies a new config, keeping the balance (clamped to the new capacity). */
  update(config: RetryBudgetConfig): void {
    this.refill();
    this.ratio = config.ratio;
    this.perMs = config.minPerSecond / 1000;
    this.cap = capacityOf(config);
    if (this.tokens > this.cap) this.tokens = this.cap;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Tokens available now. */
  get balance(): number {
    this.refill();
    return this.tokens;
  }

  /** One call was made. Hot path: no clock read. */
  deposit(): void {
    const t = this.tokens + this.ratio;
    this.tokens = t > this.cap ? this.cap : t;
  }

  /** Takes one token for a retry; false when the budget is spent. */
  tryWithdraw(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0 && this.perMs > 0) {
      const t = this.tokens + elapsed * this.perMs;
      this.tokens = t > this.cap ? this.cap : t;
    }
  }
}

function capacityOf(config: RetryBudgetConfig): number {
  return config.reserve ?? Math.max(1, config.minPerSecond * BUDGET_RESERVE_SECONDS);
}
