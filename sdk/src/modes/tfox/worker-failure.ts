import {
  FoxDataCloneError,
  FoxNotExportedError,
  FoxWorkerError,
  type WorkerFailure,
} from '../errors.js';
import type { WorkerFunction } from './pool-job.js';
import { reviveError } from './revive-error.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import { CallStatus } from './protocol.js';

/** Why a worker thread left the pool (see `ThreadPool.onThreadExit`). */
export type ThreadExitReason =
  /** Above `minThreads` and idle for `idleTimeoutMs`. */
  | 'idle'
  /** Its heap grew past `recycleHeapMb`; it finished its calls first. */
  | 'recycled'
  /** The pool was closed. */
  | 'closed'
  /** Stopped because a cancelled call did not stop within the grace period. */
  | 'terminated'
  /** An uncaught error, or a `resourceLimits` limit reached (`error.code` says which). */
  | 'crashed'
  /** The thread exited on its own (`process.exit()` in a task). */
  | 'exited';

/** A worker thread left the pool. */
export interface ThreadExit {
  readonly threadId: number;
  readonly reason: ThreadExitReason;
  readonly exitCode: number;
  /** The uncaught error of a crashed worker (`code: 'ERR_WORKER_OUT_OF_MEMORY'` for limits). */
  readonly error?: unknown;
}

/** The failure reported to calls that were running on a worker when it exited. */
export function failureOf(reason: ThreadExitReason): WorkerFailure {
  return reason === 'terminated' || reason === 'crashed' ? reason : 'exited';
}

/** The sentence after "worker <reason>:" in a FoxWorkerError, saying what happened. */
export function describeExit(
  reason: ThreadExitReason,
  error: unknown,
  exitCode: number,
  limits: ResolvedPoolOptions['resourceLimits'],
): string {
  if (reason === 'terminated')
    return 'terminated to stop a cancelled call that did not stop within the grace period';
  if (reason === 'crashed') {
    const message = error instanceof Error ? error.message : String(error);
    if ((error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return `out of memory under resourceLimits ${JSON.stringify(limits ?? {})} (${message})`;
    return `uncaught error: ${message}`;
  }
  return `the worker exited (code ${exitCode}) while the call was running`;
}

/** The error for a call the worker reported as failed (any {@link CallStatus} but `Ok`). */
export function outcomeError(fn: WorkerFunction, status: CallStatus, value: unknown): unknown {
  const error = reviveError(value);
  switch (status) {
    case CallStatus.Threw:
      return error;
    case CallStatus.NotCloneable:
      return new FoxDataCloneError(fn.taskId, 'result', undefined, error);
    case CallStatus.NotExported:
      return new FoxNotExportedError(fn.taskId, fn.moduleUrl, (error as Error).message);
    default:
      return new FoxWorkerError(
        fn.taskId,
        status === CallStatus.LoadTimedOut ? 'load-timeout' : 'load-failed',
        `cannot import ${fn.moduleUrl}: ${(error as Error).message}`,
        { cause: error },
      );
  }
}
