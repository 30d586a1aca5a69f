/**
 * Timeout: each attempt must settle within `ms`, or the caller gets a FoxTimeoutError at once.
 * 'cooperative' also aborts the call's signal so a function that reads `call.signal` can stop;
 * the AbortController only exists if the function read the signal or the timeout fired
 * (`call.abort` creates it lazily). 'abandon' leaves the work running and its result unused.
 *
 * Cost per call on the no-timeout path: one entry object in a shared {@link DeadlineQueue} (no
 * timer of its own), one `clock.now()`, and the promise that lets us reject before the inner
 * attempt settles.
 */
import { FoxTimeoutError } from '../errors/errors.js';
import type { Attempt, Call } from '../task/call.js';
import { DeadlineEntry, DeadlineQueue } from './deadline-queue.js';
import { PolicyBase, type ConfigOf, type PolicyContext, type PolicyEmitters } from './policy.js';

class TimedAttempt extends DeadlineEntry {
  reject: ((err: unknown) => void) | undefined = undefined;
  /** False once the attempt settled or timed out: whichever comes first wins. */
  pending = true;

  constructor(
    private readonly policy: TimeoutPolicy,
    readonly call: Call,
    readonly ms: number,
    readonly cooperative: boolean,
  ) {
    super();
  }

  expire(): void {
    if (!this.pending) return;
    this.pending = false;
    this.policy.expired(this);
  }
}

export class TimeoutPolicy extends PolicyBase<'timeout'> {
  private readonly queue: DeadlineQueue;

  constructor(config: ConfigOf<'timeout'>, ctx: PolicyContext, emit: PolicyEmitters) {
    super('timeout', config, ctx, emit);
    this.queue = new DeadlineQueue(ctx.clock);
  }

  /** Attempts currently being timed. */
  get pending(): number {
    return this.queue.size;
  }

  wrap(inner: Attempt): Attempt {
    const queue = this.queue;
    const clock = this.ctx.clock;
    return (call) => {
      const cfg = this.cfg;
      const entry = new TimedAttempt(this, call, cfg.ms, cfg.cancel === 'cooperative');
      queue.add(entry, clock.now() + cfg.ms);
      return new Promise<unknown>((resolve, reject) => {
        entry.reject = reject;
        let p: Promise<unknown>;
        try {
          p = inner(call);
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(
          (value) => {
            if (!entry.pending) return;
            entry.pending = false;
            queue.remove(entry);
            resolve(value);
          },
          (err: unknown) => {
            if (!entry.pending) return;
            entry.pending = false;
            queue.remove(entry);
            reject(err);
          },
        );
      });
    };
  }

  /** @internal The deadline passed first. */
  expired(entry: TimedAttempt): void {
    const err = new FoxTimeoutError(entry.ms, this.ctx.taskId);
    if (entry.cooperative) entry.call.abort(err);
    const timeout = this.emit.timeout;
    if (timeout.hasListeners) {
      timeout.fire({
        taskId: this.ctx.taskId,
        ms: entry.ms,
        cancel: entry.cooperative ? 'cooperative' : 'abandon',
        attempt: entry.call.attempt,
      });
    }
    entry.reject!(err);
  }

  override dispose(): void {
    this.queue.clear();
  }
}
