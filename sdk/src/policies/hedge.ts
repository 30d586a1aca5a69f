/**
 * Hedging ("The Tail at Scale"): if an attempt has not settled after `after` ms (fixed, or the
 * task's live latency percentile such as p95), start another, up to `max` extra attempts. The
 * first success wins and the others are aborted through their own Call's signal. A failure only
 * fails the call once nothing else is in flight (the first error is reported); a primary that
 * fails before any hedge started fails at once — retrying failures is the retry policy's job.
 *
 * Hedges spend a budget (the retry budget's token bucket: each call deposits `ratio`, a hedge
 * spends one), so a slowed dependency sees at most (1 + ratio)× the offered load from hedging
 * once the reserve is spent, instead of (max + 1)×.
 *
 * Each hedge runs on a fork of the call (its own AbortController); the primary keeps the
 * original Call, which is only aborted once the call is over and a hedge won.
 */
import { FoxAbortedError } from '../errors/errors.js';
import type { Attempt, Call } from '../task/call.js';
import { DeadlineEntry, DeadlineQueue } from './deadline-queue.js';
import { HEDGE_PERCENTILES } from './options.js';
import { RetryBudget } from './retry-budget.js';
import {
  PolicyBase,
  forkCall,
  type ConfigOf,
  type PolicyContext,
  type PolicyEmitters,
} from './policy.js';

/** How long a percentile read from the task's histogram is reused. */
const PERCENTILE_REFRESH_MS = 1000;

class HedgedCall extends DeadlineEntry {
  readonly calls: Call[];
  inFlight = 0;
  hedges = 0;
  settled = false;
  firstError: unknown = undefined;
  failed = false;

  constructor(
    readonly policy: HedgePolicy,
    readonly inner: Attempt,
    readonly delay: number,
    primary: Call,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {
    super();
    this.calls = [primary];
  }

  start(call: Call): void {
    this.inFlight++;
    let p: Promise<unknown>;
    try {
      p = this.inner(call);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (v) => this.succeeded(call, v),
      (e: unknown) => this.lost(e),
    );
  }

  private succeeded(winner: Call, value: unknown): void {
    if (this.settled) return;
    this.finish();
    this.resolve(value);
    for (const c of this.calls) {
      if (c !== winner) c.abort(new FoxAbortedError('hedge: another attempt won', c.taskId));
    }
  }

  private lost(err: unknown): void {
    if (this.settled) return;
    if (!this.failed) {
      this.failed = true;
      this.firstError = err;
    }
    if (--this.inFlight > 0) return;
    this.finish();
    this.reject(this.firstError);
  }

  private finish(): void {
    this.settled = true;
    this.policy.queueOf().remove(this);
  }

  expire(): void {
    if (this.settled) return;
    // Out of hedge budget: this call waits for its attempt; no later hedge either.
    if (!this.policy.mayHedge()) return;
    this.hedges++;
    const fork = forkCall(this.calls[0]!);
    this.calls.push(fork);
    this.policy.hedged(this.hedges, this.delay);
    if (this.hedges < this.policy.config.max) {
      this.policy.queueOf().add(this, this.policy.now() + this.delay);
    }
    this.start(fork);
  }
}

export class HedgePolicy extends PolicyBase<'hedge'> {
  private readonly queue: DeadlineQueue;
  private percentileMs: number | undefined = undefined;
  private percentileAt = -Infinity;
  private budget: RetryBudget | undefined;

  constructor(config: ConfigOf<'hedge'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('hedge', config, ctx, emit);
    this.queue = new DeadlineQueue(ctx.clock);
    this.budget = config.budget ? new RetryBudget(config.budget, ctx.clock) : undefined;
  }

  /** The hedge budget, when one is configured (its balance is a useful gauge). */
  get hedgeBudget(): RetryBudget | undefined {
    return this.budget;
  }

  protected override configured(): void {
    this.percentileAt = -Infinity;
    const b = this.cfg.budget;
    if (!b) this.budget = undefined;
    else if (this.budget) this.budget.update(b);
    else this.budget = new RetryBudget(b, this.ctx.clock);
  }

  /** @internal Takes a hedge token; false when the budget is spent. */
  mayHedge(): boolean {
    return this.budget === undefined || this.budget.tryWithdraw();
  }

  /** @internal */
  queueOf(): DeadlineQueue {
    return this.queue;
  }

  /** @internal */
  now(): number {
    return this.ctx.clock.now();
  }

  /** @internal */
  hedged(hedge: number, afterMs: number): void {
    const e = this.emit.hedge;
    if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, hedge, afterMs });
  }

  /** The hedge delay now, or undefined when a percentile has no data yet (no hedging). */
  delayMs(now: number): number | undefined {
    const after = this.cfg.after;
    if (typeof after === 'number') return after;
    if (now - this.percentileAt >= PERCENTILE_REFRESH_MS) {
      this.percentileAt = now;
      const p = this.ctx.latencyPercentile?.(HEDGE_PERCENTILES[after]);
      this.percentileMs = p !== undefined && Number.isFinite(p) ? Math.max(0, p) : undefined;
    }
    return this.percentileMs;
  }

  wrap(inner: Attempt): Attempt {
    const clock = this.ctx.clock;
    return (call) => {
      this.budget?.deposit();
      const now = clock.now();
      const delay = this.delayMs(now);
      if (delay === undefined) return inner(call);
      return new Promise<unknown>((resolve, reject) => {
        const h = new HedgedCall(this, inner, delay, call, resolve, reject);
        this.queue.add(h, now + delay);
        h.start(call);
      });
    };
  }

  override dispose(): void {
    this.queue.clear();
  }
}
