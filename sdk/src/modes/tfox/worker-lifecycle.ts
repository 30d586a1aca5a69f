import { Worker } from 'node:worker_threads';
import type { TimerHandle } from '../../clock/clock.js';
import { FoxWorkerError } from '../errors.js';
import type { PoolJob } from './pool-job.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { WorkerData } from './protocol.js';
import { describeExit, failureOf, type ThreadExitReason } from './worker-failure.js';
import { WORKER_SOURCE } from './worker-source.generated.js';

/**
 * A worker thread's life in the pool: starting one, its record, and what becomes of its calls
 * when it is gone (crashed, recycled, stopped). The pool decides when; this module does it.
 */

/** Why the pool retires a worker (a worker that crashed or exited on its own has none). */
export type RetireReason = 'idle' | 'recycled' | 'terminated' | 'closed';

/** The pool's record of one worker thread. */
export interface WorkerSlot {
  readonly worker: Worker;
  readonly threadId: number;
  /** One Int32 the worker increments as it begins each call (see protocol.ts). */
  readonly started: Int32Array;
  /** Calls sent to it and not settled, by id. */
  readonly jobs: Map<number, PoolJob>;
  /** Indexes of the functions it was sent (it imports each once). */
  readonly known: Set<number>;
  /** Calls sent to it so far (a job's `wseq` is its place in this order). */
  sent: number;
  /** Set when the worker asked to be recycled or is being stopped: no new calls. */
  draining: boolean;
  /** Why the pool retires it (undefined: it crashed or exited on its own). */
  retired: RetireReason | undefined;
  /** `terminate()` was called. */
  stopping: boolean;
  /** Whether it keeps the process alive now (only while it has calls). */
  refed: boolean;
  idleTimer: TimerHandle | undefined;
  lastError: unknown;
  /** Imports of task modules sent to it that have not finished (see `ToPool.ModuleLoaded`). */
  loading: number;
}

/** How the pool hears from a worker. */
export interface WorkerListeners {
  message(slot: WorkerSlot, msg: unknown): void;
  exit(slot: WorkerSlot, code: number): void;
}

/**
 * Starts a worker thread from {@link WORKER_SOURCE} and returns its record. The worker never
 * keeps the process alive until it has calls (the pool refs it then): a prewarmed one may get
 * none.
 */
export function spawnWorker(
  options: ResolvedPoolOptions,
  tsxApi: string | undefined,
  listeners: WorkerListeners,
): WorkerSlot {
  const started = new Int32Array(new SharedArrayBuffer(4));
  const workerData: WorkerData = {
    started: started.buffer as SharedArrayBuffer,
    tsx: tsxApi,
    loadTimeoutMs: options.loadTimeoutMs,
    maxHeapBytes: options.recycleHeapBytes,
    heapCheckIntervalMs: options.heapCheckIntervalMs,
  };
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
    workerData,
    resourceLimits: options.resourceLimits,
    stdout: false,
    stderr: false,
  });
  const slot: WorkerSlot = {
    worker,
    threadId: worker.threadId,
    started,
    jobs: new Map(),
    known: new Set(),
    sent: 0,
    draining: false,
    retired: undefined,
    stopping: false,
    refed: false,
    idleTimer: undefined,
    lastError: undefined,
    loading: 0,
  };
  worker.on('message', (msg: unknown) => listeners.message(slot, msg));
  worker.on('error', (err) => {
    slot.lastError = err;
  });
  worker.on('exit', (code) => listeners.exit(slot, code));
  // After the listeners: a 'message' listener refs the worker's port again.
  worker.unref();
  return slot;
}

/** Terminates a worker; `why` also tells the calls still running on it what happened. */
export function stopWorker(slot: WorkerSlot, why: RetireReason): void {
  if (slot.stopping) return;
  slot.stopping = true;
  slot.retired = why;
  slot.draining = true;
  void slot.worker.terminate();
}

/** Why a worker that is gone left. */
export function exitReasonOf(slot: WorkerSlot): ThreadExitReason {
  return slot.retired ?? (slot.lastError !== undefined ? 'crashed' : 'exited');
}

/**
 * The calls of a worker that is gone. Calls it never began (their place in its send order is
 * past its started counter) are returned to run elsewhere; calls it had begun are failed with
 * FoxWorkerError (they may have had side effects, so they are not silently re-run). Calls no
 * longer waiting (cancelled) are dropped.
 */
export function takeOrphans(
  slot: WorkerSlot,
  code: number,
  limits: ResolvedPoolOptions['resourceLimits'],
): { readonly unstarted: PoolJob[]; readonly failed: Array<[PoolJob, FoxWorkerError]> } {
  const startedCount = Atomics.load(slot.started, 0);
  const reason = exitReasonOf(slot);
  const unstarted: PoolJob[] = [];
  const failed: Array<[PoolJob, FoxWorkerError]> = [];
  for (const job of slot.jobs.values()) {
    if (job.state !== 'sent') continue;
    if (job.wseq > startedCount) unstarted.push(job);
    else {
      const detail = describeExit(reason, slot.lastError, code, limits);
      const cause = slot.lastError instanceof Error ? slot.lastError : undefined;
      failed.push([
        job,
        new FoxWorkerError(job.fn.taskId, failureOf(reason), detail, { cause, exitCode: code }),
      ]);
    }
  }
  return { unstarted, failed };
}
