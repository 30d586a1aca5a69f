/**
 * Bulkhead: at most `limit` calls run at once, at most `queue` wait (FIFO) for a slot, the rest
 * fail fast with FoxBulkheadRejectedError. A finishing call hands its slot straight to the
 * first waiter, so the in-flight count never exceeds the limit, even transiently. A waiter
 * whose caller aborts leaves the queue with FoxAbortedError.
 */
import { FoxAbortedError, FoxShutdownError } from '../errors/errors.js';
import type { Attempt, Call } from '../task/call.js';
import { FoxBulkheadRejectedError } from './errors.js';
import { PolicyBase, type ConfigOf, type PolicyContext, type PolicyEmitters } from './policy.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  call: Call;
  onAbort: (() => void) | undefined;
}

export class BulkheadPolicy extends PolicyBase<'bulkhead'> {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** Index of the first live waiter in `waiting` (shifting arrays is O(n)). */
  private waitHead = 0;

  constructor(config: ConfigOf<'bulkhead'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('bulkhead', config, ctx, emit);
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.waitHead;
  }

  wrap(inner: Attempt): Attempt {
    return async (call) => {
      if (this.running < this.cfg.limit) this.running++;
      else await this.enqueue(call);
      try {
        return await inner(call);
      } finally {
        this.release();
      }
    };
  }

  private enqueue(call: Call): Promise<void> {
    const cfg = this.cfg;
    if (this.queued >= cfg.queue) {
      const e = this.emit.reject;
      if (e.hasListeners) e.fire({ taskId: this.ctx.taskId, policy: 'bulkhead', reason: 'full' });
      return Promise.reject(new FoxBulkheadRejectedError(cfg.limit, cfg.queue, this.ctx.taskId));
    }
    const caller = call.callerSignal;
    if (caller?.aborted) return Promise.reject(new FoxAbortedError(caller.reason, call.taskId));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, call, onAbort: undefined };
      if (caller) {
        waiter.onAbort = () => {
          const i = this.waiting.indexOf(waiter, this.waitHead);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new FoxAbortedError(caller.reason, call.taskId));
        };
        caller.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    // After the limit was lowered, shrink first; otherwise hand the slot to the first waiter
    // (`running` stays the same).
    const next = this.running > this.cfg.limit ? undefined : this.shiftWaiter();
    if (next) next.resolve();
    else this.running--;
  }

  private shiftWaiter(): Waiter | undefined {
    if (this.waitHead >= this.waiting.length) return undefined;
    const w = this.waiting[this.waitHead]!;
    this.waiting[this.waitHead] = undefined as unknown as Waiter;
    this.waitHead++;
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitHead);
      this.waitHead = 0;
    }
    if (w.onAbort) w.call.callerSignal?.removeEventListener('abort', w.onAbort);
    return w;
  }

  /** A raised limit admits waiters now rather than at the next release. */
  protected override configured(): void {
    while (this.running < this.cfg.limit) {
      const w = this.shiftWaiter();
      if (!w) break;
      this.running++;
      w.resolve();
    }
  }

  override dispose(): void {
    for (let w = this.shiftWaiter(); w; w = this.shiftWaiter()) w.reject(new FoxShutdownError());
  }
}
