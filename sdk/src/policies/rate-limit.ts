/**
 * Rate limit, two algorithms:
 * - token bucket (`perSecond`, `burst`): over any interval T, admissions ≤ burst + perSecond·T;
 * - sliding window (`limit`, `window`): at most `limit` admissions in any `window` ms, exactly
 *   (a ring of the last `limit` admission times, not an approximation by buckets).
 *
 * 'reject' fails at once with FoxRateLimitedError; 'wait' reserves the next free slot and waits
 * for it (FIFO: each waiter's slot is fixed when it arrives), rejecting instead when the wait
 * would exceed `maxWait`. A reserved slot is not given back if its caller aborts — the limiter
 * errs on the side of admitting less.
 *
 * The admitted path adds no promise: it returns the inner attempt's promise as it is.
 */
import { FoxAbortedError, FoxShutdownError } from '../errors/errors.js';
import type { TimerHandle } from '../clock/clock.js';
import type { Attempt, Call } from '../task/call.js';
import { FoxRateLimitedError } from './errors.js';
import { PolicyBase, type ConfigOf, type PolicyContext, type PolicyEmitters } from './policy.js';

/** Decides when a call may start. `reserve` returns the admission time (≥ now) and books it. */
interface Admission {
  /** Earliest time a call arriving at `now` could be admitted, without booking it. */
  nextFree(now: number): number;
  /** Books a slot at `at` (as returned by `nextFree`). */
  book(at: number): void;
}

/**
 * The token bucket in its virtual-scheduling form (GCRA): `tat` is the theoretical arrival
 * time of the next call at the sustained rate, and a call may start `tolerance` (= burst − 1
 * intervals) before it. Working on times rather than a token count keeps 'wait' exact: a booked
 * start that the timer rounds up to a whole ms pushes every later start with it.
 */
class TokenBucket implements Admission {
  private tat: number;
  private interval: number;
  private tolerance: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.interval = 1000 / perSecond;
    this.tolerance = (burst - 1) * this.interval;
    this.tat = now;
  }

  update(perSecond: number, burst: number): void {
    this.interval = 1000 / perSecond;
    this.tolerance = (burst - 1) * this.interval;
  }

  nextFree(now: number): number {
    const earliest = this.tat - this.tolerance;
    return earliest > now ? earliest : now;
  }

  book(at: number): void {
    this.tat = (this.tat > at ? this.tat : at) + this.interval;
  }
}

class SlidingWindow implements Admission {
  /** Admission times of the last `limit` calls, oldest at `next`. */
  private ring: Float64Array;
  private next = 0;

  constructor(
    private limit: number,
    private windowMs: number,
  ) {
    this.ring = new Float64Array(limit).fill(-Infinity);
  }

  update(limit: number, windowMs: number): void {
    if (limit !== this.limit) {
      // Keep the most recent admissions so a lowered limit holds at once.
      const times: number[] = [];
      for (let i = 0; i < this.limit; i++) times.push(this.ring[(this.next + i) % this.limit]!);
      const ring = new Float64Array(limit).fill(-Infinity);
      const keep = times.slice(Math.max(0, times.length - limit));
      ring.set(keep, limit - keep.length);
      this.ring = ring;
      this.next = 0;
      this.limit = limit;
    }
    this.windowMs = windowMs;
  }

  nextFree(now: number): number {
    // The slot frees when the limit-th most recent admission leaves the window.
    const free = this.ring[this.next]! + this.windowMs;
    return free > now ? free : now;
  }

  book(at: number): void {
    this.ring[this.next] = at;
    this.next = this.next + 1 === this.limit ? 0 : this.next + 1;
  }
}

export class RateLimitPolicy extends PolicyBase<'rateLimit'> {
  private admission: TokenBucket | SlidingWindow;
  /** Calls waiting for their slot ('wait' mode), so dispose can release them. */
  private readonly waits = new Map<TimerHandle, (err: unknown) => void>();

  constructor(config: ConfigOf<'rateLimit'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('rateLimit', config, ctx, emit);
    this.admission = this.create();
  }

  private create(): TokenBucket | SlidingWindow {
    const cfg = this.cfg;
    return cfg.perSecond !== undefined
      ? new TokenBucket(
          cfg.perSecond,
          cfg.burst ?? Math.max(1, cfg.perSecond),
          this.ctx.clock.now(),
        )
      : new SlidingWindow(cfg.limit!, cfg.window!);
  }

  protected override configured(): void {
    const cfg = this.cfg;
    const a = this.admission;
    if (cfg.perSecond !== undefined && a instanceof TokenBucket) {
      a.update(cfg.perSecond, cfg.burst ?? Math.max(1, cfg.perSecond));
    } else if (cfg.perSecond === undefined && a instanceof SlidingWindow) {
      a.update(cfg.limit!, cfg.window!);
    } else {
      this.admission = this.create();
    }
  }

  wrap(inner: Attempt): Attempt {
    const clock = this.ctx.clock;
    return (call) => {
      const now = clock.now();
      const at = this.admission.nextFree(now);
      if (at === now) {
        this.admission.book(now);
        return inner(call);
      }
      return this.delayed(call, inner, now, at);
    };
  }

  private delayed(call: Call, inner: Attempt, now: number, at: number): Promise<unknown> {
    const cfg = this.cfg;
    const wait = at - now;
    if (cfg.mode === 'reject' || wait > cfg.maxWait) {
      const e = this.emit.reject;
      if (e.hasListeners) {
        e.fire({
          taskId: this.ctx.taskId,
          policy: 'rateLimit',
          reason: cfg.mode === 'reject' ? 'rate' : 'maxWait',
        });
      }
      return Promise.reject(new FoxRateLimitedError(wait, this.ctx.taskId));
    }
    const caller = call.callerSignal;
    if (caller?.aborted) return Promise.reject(new FoxAbortedError(caller.reason, call.taskId));
    // Book the time the timer will really fire (whole ms), so the window holds for actual starts.
    const delay = Math.ceil(wait);
    this.admission.book(now + delay);
    const clock = this.ctx.clock;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        this.waits.delete(timer);
        reject(new FoxAbortedError(caller!.reason, call.taskId));
      };
      const timer = clock.setTimeout(() => {
        this.waits.delete(timer);
        caller?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      this.waits.set(timer, (err) => {
        caller?.removeEventListener('abort', onAbort);
        reject(err);
      });
      caller?.addEventListener('abort', onAbort, { once: true });
    }).then(() => inner(call));
  }

  /** Waiting calls fail with FoxShutdownError instead of starting later. */
  override dispose(): void {
    for (const [timer, reject] of this.waits) {
      this.ctx.clock.clearTimeout(timer);
      reject(new FoxShutdownError());
    }
    this.waits.clear();
  }
}
