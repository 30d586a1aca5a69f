import type { TransferListItem } from 'node:worker_threads';
import type { Call } from '../../task/call.js';
import type { Attempt, Strategy, StrategyGauges } from '../strategy.js';
import { transferListOf } from './move.js';
import { FLAG_MEASURE, FLAG_SIGNAL, PoolJob, type WorkerFunction } from './pool-job.js';
import type { ThreadPool } from './pool.js';
import { SIGNAL_MARK } from './protocol.js';

export interface TfoxDeps {
  /** The process's shared pool (created on first use). */
  pool: () => ThreadPool;
  /**
   * Also cancel in the worker when the call's own signal aborts (a cooperative timeout), not
   * only the caller's. Reading `call.signal` allocates, so only tasks with a timeout ask.
   */
  watchCallSignal: boolean;
  /** Receives the time each call held its worker's event loop and its wall time (auto). */
  onTiming?: (syncMs: number, wallMs: number) => void;
}

/**
 * ThunderFox: runs the call on the shared worker pool. The attempt below the strategy is not
 * used: the user's function runs in the worker, found there by its module and export.
 *
 * Cancellation follows the caller's signal: an already-aborted signal settles at once (the
 * call never queues), a queued call leaves the queue, a running call's signal aborts in the
 * worker and the caller gets `signal.reason` without waiting for the worker.
 */
export class TfoxStrategy implements Strategy {
  readonly mode = 'tfox' as const;
  private outstanding = 0;

  constructor(
    readonly fn: WorkerFunction,
    private readonly deps: TfoxDeps,
  ) {}

  run(call: Call, _attempt: Attempt): Promise<unknown> {
    const caller = call.callerSignal;
    const signal = this.deps.watchCallSignal ? call.signal : caller;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let args = call.args;
    let flags = 0;
    if (caller) {
      args = args.slice();
      const last = args.length - 1;
      const value = args[last];
      args[last] =
        value instanceof AbortSignal ? SIGNAL_MARK : { ...(value as object), signal: SIGNAL_MARK };
      flags |= FLAG_SIGNAL;
    }
    if (this.deps.onTiming) flags |= FLAG_MEASURE;
    const job = new TfoxCall(this, args, flags, transferListOf(args));
    const promise = new Promise<unknown>((resolve, reject) => {
      job.resolve = resolve;
      job.reject = reject;
    });
    const pool = this.deps.pool();
    try {
      pool.submit(job);
    } catch (err) {
      return Promise.reject(err);
    }
    this.outstanding++;
    if (signal) job.watch(signal, pool);
    return promise;
  }

  /** A call of this strategy settled (or was cancelled): bookkeeping and timing. */
  ended(syncMs: number, wallMs: number): void {
    this.outstanding--;
    // The worker's own times: what the call costs there, without queueing here.
    if (syncMs >= 0) this.deps.onTiming?.(syncMs, wallMs);
  }

  gauges(): StrategyGauges {
    return { inFlight: this.outstanding, queued: 0, limit: null };
  }

  /** The pool is shared by every tfox task; the runtime closes it at shutdown. */
  async close(): Promise<void> {}
}

/** One tfox call in the pool: the job and the caller's promise in one object. */
class TfoxCall extends PoolJob {
  resolve!: (value: unknown) => void;
  reject!: (reason: unknown) => void;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly owner: TfoxStrategy,
    args: unknown[],
    flags: number,
    transfer: TransferListItem[] | undefined,
  ) {
    super(owner.fn, args, flags, transfer);
  }

  settle(ok: boolean, value: unknown, syncMs: number, wallMs: number): void {
    if (this.signal) this.signal.removeEventListener('abort', this.onAbort!);
    this.owner.ended(syncMs, wallMs);
    if (ok) this.resolve(value);
    else this.reject(value);
  }

  /** The caller gets `signal.reason` at once; the pool drops or cancels the call. */
  watch(signal: AbortSignal, pool: ThreadPool): void {
    this.signal = signal;
    this.onAbort = () => {
      if (this.state === 'settled') return;
      this.owner.ended(-1, -1);
      pool.cancel(this, signal.reason);
      this.reject(signal.reason);
    };
    signal.addEventListener('abort', this.onAbort, { once: true });
  }
}
