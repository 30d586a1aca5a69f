import { systemClock, type Clock, type TimerHandle } from '../../clock/clock.js';
import {
  FoxAbortedError,
  FoxConfigError,
  FoxRejectedError,
  FoxShutdownError,
} from '../../errors/errors.js';
import { Emitter, type FoxEvent } from '../../events/emitter.js';
import { createAlgorithm } from './create-algorithm.js';
import type { AlgorithmDeps, LimitAlgorithm } from './limit-algorithm.js';
import {
  parseLimiterOptions,
  type LimiterOptions,
  type ResolvedLimiterOptions,
} from './limiter-options.js';
import { PriorityFifo, type FifoNode } from './priority-fifo.js';

/** How a call ended, for the limit algorithm: `ignore` records no sample. */
export type ReleaseOutcome = 'success' | 'dropped' | 'ignore';

/** Fired when the limit in force changes. */
export interface LimitChangeEvent {
  previous: number;
  limit: number;
}

/** Fired when the limiter refuses a call. */
export interface LimiterRejectEvent {
  reason: 'queue-full' | 'queue-timeout';
  priority: number;
  /** Calls still queued after the rejection. */
  queued: number;
}

/** What the limiter needs from its surroundings; all optional. */
export interface LimiterDeps {
  /** Time source; inject a fake in tests. Default {@link systemClock}. */
  clock?: Clock;
  /** Named in errors. */
  taskId?: string;
  /** Uniform in [0, 1), for probe jitter and sampling. Default `Math.random`. */
  random?: () => number;
}

/**
 * Proof of admission. Call {@link LimiterToken.release} exactly once when the call ends; later
 * calls are ignored.
 */
export class LimiterToken {
  private released = false;

  /** @internal */
  constructor(
    private readonly limiter: AdaptiveLimiter,
    /** Clock time of admission. */
    readonly admittedAt: number,
    /** In-flight count right after this call was admitted (itself included). */
    readonly inFlightAtAdmission: number,
  ) {}

  /** Ends the call: records its RTT as `outcome` (none for `ignore`) and admits the next one. */
  release(outcome: ReleaseOutcome): void {
    if (this.released) return;
    this.released = true;
    this.limiter.settle(this, outcome);
  }
}

class Waiter implements FifoNode {
  prev: FifoNode | undefined = undefined;
  next: FifoNode | undefined = undefined;
  queued = true;
  timer: TimerHandle | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly priority: number,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (token: LimiterToken) => void,
    readonly reject: (err: Error) => void,
  ) {}
}

/**
 * Admission control for WaterFox: at most `limit` calls run at once, where the limit comes from
 * a {@link LimitAlgorithm} fed with each call's RTT. Calls over the limit wait in a bounded
 * priority queue (higher `priority` first, FIFO within one).
 *
 * @example
 * const limiter = new AdaptiveLimiter({ algorithm: 'gradient', queue: 100, queueTimeout: 500 });
 * const t = limiter.acquire(0, signal);
 * const token = t instanceof Promise ? await t : t;
 * try { await work(); token.release('success'); } catch (e) { token.release('ignore'); throw e; }
 */
export class AdaptiveLimiter {
  private readonly clock: Clock;
  private readonly deps: AlgorithmDeps;
  private readonly taskId: string | undefined;
  private options: ResolvedLimiterOptions;
  private algorithm: LimitAlgorithm;
  /** The algorithm's limit as of the last sample or change (read on the hot path). */
  private current: number;
  private running = 0;
  private closed = false;
  private readonly waiting = new PriorityFifo<Waiter>();
  private readonly limitChanged = new Emitter<LimitChangeEvent>();
  private readonly rejected = new Emitter<LimiterRejectEvent>();

  /** Fires whenever the limit in force changes. */
  readonly onLimitChange: FoxEvent<LimitChangeEvent> = this.limitChanged.event;
  /** Fires whenever a call is rejected (queue full or queue timeout). */
  readonly onReject: FoxEvent<LimiterRejectEvent> = this.rejected.event;

  /** @throws FoxConfigError when `options` is not a valid `limiter` option. */
  constructor(options: LimiterOptions = {}, deps: LimiterDeps = {}) {
    this.clock = deps.clock ?? systemClock;
    this.deps = { clock: this.clock, random: deps.random ?? Math.random };
    this.taskId = deps.taskId;
    this.options = parseLimiterOptions(options, this.taskId);
    this.algorithm = createAlgorithm(this.options, this.deps);
    this.current = this.algorithm.limit;
  }

  /** The limit in force now. */
  get limit(): number {
    return this.current;
  }

  /** Calls admitted and not yet released. */
  get inFlight(): number {
    return this.running;
  }

  /** Calls waiting for admission. */
  get queued(): number {
    return this.waiting.size;
  }

  /** The validated options in force (defaults filled in). */
  get config(): Readonly<ResolvedLimiterOptions> {
    return this.options;
  }

  /** The algorithm in use (read-only view, for telemetry and tests). */
  get limitAlgorithm(): LimitAlgorithm {
    return this.algorithm;
  }

  /**
   * Asks to run one call. Returns the token itself when the call is admitted at once (no promise
   * is allocated), otherwise a promise that resolves on admission or rejects with
   * FoxRejectedError (`queue-full`, `queue-timeout`), FoxAbortedError (the signal aborted while
   * waiting, or before) or FoxShutdownError.
   */
  acquire(priority = 0, signal?: AbortSignal): LimiterToken | Promise<LimiterToken> {
    if (this.closed) return Promise.reject(new FoxShutdownError());
    if (signal !== undefined && signal.aborted) {
      return Promise.reject(new FoxAbortedError(signal.reason, this.taskId));
    }
    if (this.running < this.current && this.waiting.size === 0) return this.admit();
    return this.enqueue(priority, signal);
  }

  /**
   * Changes options at run time. `partial` is merged over the options in force (one level deep
   * for `gradient`, `vegas` and `aimd`) and validated as a whole; on error nothing changes.
   * Setting `initial` resets the limit to it; changing `algorithm` starts the new one at the
   * current limit. A smaller `queue` rejects the newest lowest-priority waiters over it.
   *
   * @throws FoxConfigError naming the offending path, e.g. `limiter.gradient.tolerance`.
   */
  configure(partial: LimiterOptions): void {
    if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
      throw new FoxConfigError(['limiter'], 'expected an object', this.taskId);
    }
    const next = parseLimiterOptions(merge(this.options, partial), this.taskId);
    const previous = this.options;
    this.options = next;
    if (next.algorithm !== previous.algorithm) {
      this.algorithm = createAlgorithm(next, this.deps, next.initial ?? this.algorithm.limit);
    } else {
      this.algorithm.configure(next);
      if (partial.initial !== undefined) this.algorithm.reset(partial.initial);
    }
    while (this.waiting.size > next.queue) {
      this.reject(this.waiting.last()!, 'queue-full');
    }
    this.refreshLimit();
    this.drain();
  }

  /** Rejects every waiting call with FoxShutdownError and refuses new ones. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = this.waiting.shift(); w; w = this.waiting.shift()) {
      this.detach(w);
      w.reject(new FoxShutdownError());
    }
    this.limitChanged.clear();
    this.rejected.clear();
  }

  /** @internal Called by {@link LimiterToken.release}. */
  settle(token: LimiterToken, outcome: ReleaseOutcome): void {
    this.running--;
    if (outcome === 'ignore') {
      this.algorithm.tick();
    } else {
      const rtt = this.clock.now() - token.admittedAt;
      this.algorithm.onSample(rtt, token.inFlightAtAdmission, outcome);
    }
    this.refreshLimit();
    this.drain();
  }

  private admit(): LimiterToken {
    return new LimiterToken(this, this.clock.now(), ++this.running);
  }

  private enqueue(priority: number, signal: AbortSignal | undefined): Promise<LimiterToken> {
    if (this.waiting.size >= this.options.queue) {
      this.rejected.fire({ reason: 'queue-full', priority, queued: this.waiting.size });
      return Promise.reject(new FoxRejectedError('queue-full', this.taskId));
    }
    return new Promise<LimiterToken>((resolve, reject) => {
      const w = new Waiter(priority, signal, resolve, reject);
      this.waiting.push(w);
      const timeout = this.options.queueTimeout;
      if (timeout !== undefined) {
        w.timer = this.clock.setTimeout(() => this.reject(w, 'queue-timeout'), timeout);
      }
      if (signal) {
        w.onAbort = () => {
          if (!w.queued) return;
          this.waiting.remove(w);
          this.detach(w);
          w.reject(new FoxAbortedError(signal.reason, this.taskId));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
    });
  }

  private reject(w: Waiter, reason: 'queue-full' | 'queue-timeout'): void {
    if (!w.queued) return;
    this.waiting.remove(w);
    this.detach(w);
    this.rejected.fire({ reason, priority: w.priority, queued: this.waiting.size });
    w.reject(new FoxRejectedError(reason, this.taskId));
  }

  /** Marks a waiter as gone from the queue and drops its timer and abort listener. */
  private detach(w: Waiter): void {
    w.queued = false;
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
  }

  private drain(): void {
    while (this.running < this.current && this.waiting.size > 0) {
      const w = this.waiting.shift()!;
      this.detach(w);
      w.resolve(this.admit());
    }
  }

  private refreshLimit(): void {
    const limit = this.algorithm.limit;
    if (limit === this.current) return;
    const previous = this.current;
    this.current = limit;
    if (this.limitChanged.hasListeners) this.limitChanged.fire({ previous, limit });
  }
}

/** `partial` over `base`, one level deep for the per-algorithm objects; `initial` only if given. */
function merge(base: ResolvedLimiterOptions, partial: LimiterOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, initial: undefined };
  for (const [key, value] of Object.entries(partial)) {
    const prev = out[key];
    out[key] =
      isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : (value as unknown);
  }
  if (out.initial === undefined) delete out.initial;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
