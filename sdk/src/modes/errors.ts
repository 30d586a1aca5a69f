import { FoxError } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';

/**
 * Errors of the strategies that run calls away from the caller's code path: tfox (worker
 * threads) and mfox (I/O lanes). Same shape as the core errors: a stable `code`, the task id.
 */

/** Why a worker stopped running a call. */
export type WorkerFailure =
  /** The worker threw an uncaught error (or ran out of memory under `resourceLimits`). */
  | 'crashed'
  /** The worker called `process.exit()` or exited on its own. */
  | 'exited'
  /** Fox terminated the worker: a cancelled call did not stop within the grace period. */
  | 'terminated'
  /** The task's module could not be imported in the worker. */
  | 'load-failed'
  /** The task's module did not finish loading in the worker in time (an app entry, a bundle). */
  | 'load-timeout';

/** A tfox call failed because of its worker, not because the function threw. */
export class FoxWorkerError extends FoxError {
  readonly taskId: string;
  readonly reason: WorkerFailure;
  readonly exitCode: number | undefined;

  constructor(
    taskId: string,
    reason: WorkerFailure,
    detail: string,
    options: { cause?: unknown; exitCode?: number } = {},
  ) {
    super('FOX_WORKER', `Task ${taskId}: worker ${reason}: ${detail}`, { cause: options.cause });
    this.taskId = taskId;
    this.reason = reason;
    this.exitCode = options.exitCode;
  }
}

/**
 * A tfox function is not reachable as an export of its module, so a worker cannot find it.
 * Thrown at decoration (instance methods) or on first use (the module does not export it).
 */
export class FoxNotExportedError extends FoxError {
  readonly taskId: string;
  readonly module: string;

  constructor(taskId: string, module: string, why: string) {
    super(
      'FOX_NOT_EXPORTED',
      `Task ${taskId}: tfox runs the function in a worker thread, which imports ${module} and ` +
        `looks the function up among its exports; ${why}. Export it (a top-level function or a ` +
        `static method of an exported class), or pass { module } naming the module that does.`,
    );
    this.taskId = taskId;
    this.module = module;
  }
}

/** An argument or the result of a tfox call cannot cross to or from a worker thread. */
export class FoxDataCloneError extends FoxError {
  readonly taskId: string;
  readonly direction: 'argument' | 'result';
  /** Index of the first argument that cannot be cloned (for `direction: 'argument'`). */
  readonly argIndex: number | undefined;

  constructor(
    taskId: string,
    direction: 'argument' | 'result',
    argIndex: number | undefined,
    cause: unknown,
  ) {
    const what = direction === 'argument' ? `argument ${argIndex}` : 'the result';
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'FOX_DATA_CLONE',
      `Task ${taskId}: ${what} cannot be sent to or from a worker thread (${why}). tfox ` +
        `arguments and results must be structured-cloneable: no functions, class instances ` +
        `lose their prototype, and sockets or handles cannot move.`,
      { cause },
    );
    this.taskId = taskId;
    this.direction = direction;
    this.argIndex = argIndex;
  }
}

registerFoxErrorClass(FoxWorkerError, 'FOX_WORKER');
registerFoxErrorClass(FoxNotExportedError, 'FOX_NOT_EXPORTED');
registerFoxErrorClass(FoxDataCloneError, 'FOX_DATA_CLONE');
