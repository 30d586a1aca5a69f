import { performance } from 'node:perf_hooks';
import type { Call } from '../../task/call.js';
import type { Attempt, Strategy, StrategyGauges } from '../strategy.js';
import { transferListOf } from './move.js';
import { FLAG_MEASURE, FLAG_SIGNAL, type ThreadPool, type WorkerFunction } from './pool.js';

const SIGNAL_MARK = '\u0000fox:signal';

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
    const onTiming = this.deps.onTiming;
    if (onTiming) flags |= FLAG_MEASURE;
    const t0 = onTiming ? performance.now() : 0;
    const transfer = transferListOf(args);
    const pool = this.deps.pool();
    this.outstanding++;
    return new Promise((resolve, reject) => {
      const job = pool.submit(this.fn, args, flags, transfer, (ok, value, syncMs, wallMs) => {
        this.outstanding--;
        job.detach?.();
        // The worker's own wall time: what the call costs there, without queueing here.
        if (onTiming && syncMs >= 0) onTiming(syncMs, wallMs ?? performance.now() - t0);
        if (ok) resolve(value);
        else reject(value);
      });
      if (signal) {
        const onAbort = (): void => {
          if (job.state === 'settled') return;
          this.outstanding--;
          pool.cancel(job, signal.reason);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
    });
  }

  gauges(): StrategyGauges {
    return { inFlight: this.outstanding, queued: 0, limit: null };
  }

  /** The pool is shared by every tfox task; the runtime closes it at shutdown. */
  async close(): Promise<void> {}
}
