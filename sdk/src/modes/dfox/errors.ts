import { FoxError } from '../../errors/errors.js';
import { registerFoxErrorClass } from '../../errors/registry.js';

/**
 * Errors of dfox, the strategy that runs calls as BullMQ jobs on Fox workers elsewhere. Same
 * shape as the core errors: a stable `code`, the task id.
 */

/** Redis (the queue) cannot be reached: nothing was enqueued, or the wait was cut short. */
export class FoxUnavailableError extends FoxError {
  readonly taskId: string;
  readonly queue: string;

  constructor(taskId: string, queue: string, detail: string, cause?: unknown) {
    super('FOX_UNAVAILABLE', `Task ${taskId}: queue '${queue}' is unavailable: ${detail}`, {
      cause,
    });
    this.taskId = taskId;
    this.queue = queue;
  }
}

/** Why a worker refused a job without running anything. */
export type RefusalReason =
  /** The task id's file resolves outside the worker's root (`../`, an absolute path, a symlink). */
  | 'outside-root'
  /** The worker's copy of the module differs from the caller's (another code version). */
  | 'hash-mismatch'
  /** No such file under the worker's root, or it does not export the task. */
  | 'not-found'
  /** The job's data is not a Fox job this worker understands. */
  | 'malformed';

/** A worker refused the job: nothing ran; the job was failed with this reason. */
export class FoxRemoteRefusedError extends FoxError {
  readonly taskId: string;
  readonly reason: RefusalReason;

  constructor(taskId: string, reason: RefusalReason, detail: string) {
    super('FOX_REMOTE_REFUSED', `Task ${taskId}: worker refused the job (${reason}): ${detail}`);
    this.taskId = taskId;
    this.reason = reason;
  }
}

/** The job's payload (task id, arguments, trace) exceeds the configured limit; not enqueued. */
export class FoxPayloadTooLargeError extends FoxError {
  readonly taskId: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(taskId: string, bytes: number, limit: number) {
    super(
      'FOX_PAYLOAD_TOO_LARGE',
      `Task ${taskId}: the job payload is ${bytes} bytes, over the limit of ${limit} ` +
        `(fox.configure({ dfox: { maxPayloadBytes } })). Pass a reference (a key, a URL) instead.`,
    );
    this.taskId = taskId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * An argument or the result of a dfox call does not survive JSON (jobs live in Redis): a
 * function, a class instance, a Map, a BigInt, NaN, a cycle. Names the value's path.
 */
export class FoxNotJsonError extends FoxError {
  readonly taskId: string;
  readonly direction: 'argument' | 'result';
  /** Index of the offending argument (for `direction: 'argument'`). */
  readonly argIndex: number | undefined;
  /** Path inside the value, e.g. `[0].items[2].at`. */
  readonly path: string;

  constructor(
    taskId: string,
    direction: 'argument' | 'result',
    argIndex: number | undefined,
    path: string,
    why: string,
  ) {
    const what =
      direction === 'argument' ? `argument ${argIndex} (${path})` : `the result (${path})`;
    super(
      'FOX_NOT_JSON',
      `Task ${taskId}: ${what} ${why}. dfox arguments and results travel as JSON through ` +
        `Redis: plain objects, arrays, strings, finite numbers, booleans and null only.`,
    );
    this.taskId = taskId;
    this.direction = direction;
    this.argIndex = argIndex;
    this.path = path;
  }
}

/** An optional peer dependency a feature needs is not installed. */
export class FoxMissingPeerError extends FoxError {
  readonly packageName: string;

  constructor(packageName: string, feature: string, cause?: unknown) {
    super(
      'FOX_MISSING_PEER',
      `${feature} needs the optional peer dependency '${packageName}'; install it with ` +
        `npm i ${packageName}`,
      { cause },
    );
    this.packageName = packageName;
  }
}

registerFoxErrorClass(FoxUnavailableError, 'FOX_UNAVAILABLE');
registerFoxErrorClass(FoxRemoteRefusedError, 'FOX_REMOTE_REFUSED');
registerFoxErrorClass(FoxPayloadTooLargeError, 'FOX_PAYLOAD_TOO_LARGE');
registerFoxErrorClass(FoxNotJsonError, 'FOX_NOT_JSON');
registerFoxErrorClass(FoxMissingPeerError, 'FOX_MISSING_PEER');
