/**
 * Every error Fox raises is a {@link FoxError} with a stable `code`, so callers can branch on
 * `err.code` (or the type guards below) without string-matching messages.
 */

/** Stable error codes. Adding a code is fine; renaming one is a breaking change. */
export type FoxErrorCode =
  | 'FOX_CONFIG'
  | 'FOX_DUPLICATE_TASK'
  | 'FOX_VALIDATION'
  | 'FOX_REJECTED'
  | 'FOX_TIMEOUT'
  | 'FOX_BROKEN_CIRCUIT'
  | 'FOX_BULKHEAD_REJECTED'
  | 'FOX_RATE_LIMITED'
  | 'FOX_ABORTED'
  | 'FOX_SHUTDOWN'
  | 'FOX_STORE'
  | 'FOX_WORKER'
  | 'FOX_NOT_EXPORTED'
  | 'FOX_DATA_CLONE';

/** Base class of every error thrown by Fox. */
export class FoxError extends Error {
  readonly code: FoxErrorCode;

  constructor(code: FoxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An option given to `fox()` / `@fox()` or `fox.configure()` is invalid. Thrown at decoration
 * (or configure) time, never at call time. `path` names the option, e.g. `['limiter', 'max']`.
 */
export class FoxConfigError extends FoxError {
  readonly path: readonly (string | number)[];
  /** The task the option belongs to, when known. */
  readonly taskId: string | undefined;

  constructor(path: readonly (string | number)[], message: string, taskId?: string) {
    const where = path.length > 0 ? `option '${path.join('.')}'` : 'options';
    const task = taskId ? ` (task ${taskId})` : '';
    super('FOX_CONFIG', `Invalid fox ${where}${task}: ${message}`);
    this.path = path;
    this.taskId = taskId;
  }
}

/** Two tasks resolved to the same task id. Names both definitions. */
export class FoxDuplicateTaskError extends FoxError {
  readonly taskId: string;
  readonly locations: readonly [string, string];

  constructor(taskId: string, first: string, second: string) {
    super(
      'FOX_DUPLICATE_TASK',
      `Duplicate fox task id '${taskId}': defined at ${first} and again at ${second}. ` +
        `Give one of them an explicit { id } option.`,
    );
    this.taskId = taskId;
    this.locations = [first, second];
  }
}

/** One failing location inside a value checked against an `input` or `output` schema. */
export interface FoxValidationIssue {
  /** Path inside the value; for input, the first element is the argument index. */
  path: (string | number)[];
  message: string;
}

/** A call's arguments (or its result) did not match the task's `input` (or `output`) schema. */
export class FoxValidationError extends FoxError {
  readonly taskId: string;
  readonly direction: 'input' | 'output';
  readonly issues: readonly FoxValidationIssue[];

  constructor(taskId: string, direction: 'input' | 'output', issues: FoxValidationIssue[]) {
    const first = issues[0];
    const where = first && first.path.length > 0 ? ` at ${formatPath(first.path)}` : '';
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
    super(
      'FOX_VALIDATION',
      `Task ${taskId}: ${direction} failed validation${where}: ${first?.message ?? 'invalid'}${more}`,
    );
    this.taskId = taskId;
    this.direction = direction;
    this.issues = issues;
  }
}

/** The call was refused by a concurrency limiter: its queue was full or the wait timed out. */
export class FoxRejectedError extends FoxError {
  readonly taskId: string | undefined;
  readonly reason: 'queue-full' | 'queue-timeout';

  constructor(reason: 'queue-full' | 'queue-timeout', taskId?: string) {
    super(
      'FOX_REJECTED',
      `${taskId ? `Task ${taskId}: ` : ''}call rejected by the concurrency limiter (${reason})`,
    );
    this.taskId = taskId;
    this.reason = reason;
  }
}

/** The attempt did not settle within the task's `timeout`. */
export class FoxTimeoutError extends FoxError {
  readonly taskId: string | undefined;
  readonly ms: number;

  constructor(ms: number, taskId?: string) {
    super('FOX_TIMEOUT', `${taskId ? `Task ${taskId}: ` : ''}timed out after ${ms} ms`);
    this.taskId = taskId;
    this.ms = ms;
  }
}

/** The caller's AbortSignal fired before the call finished. `cause` is `signal.reason`. */
export class FoxAbortedError extends FoxError {
  constructor(reason: unknown, taskId?: string) {
    super('FOX_ABORTED', `${taskId ? `Task ${taskId}: ` : ''}call aborted`, { cause: reason });
  }
}

/** The runtime is shutting down (or has shut down) and accepts no new calls. */
export class FoxShutdownError extends FoxError {
  constructor() {
    super('FOX_SHUTDOWN', 'fox is shut down; no new calls are accepted');
  }
}

/** The store (SQLite) could not be opened, migrated or written. */
export class FoxStoreError extends FoxError {
  constructor(message: string, cause?: unknown) {
    super('FOX_STORE', message, { cause });
  }
}

/** True for any error raised by Fox. */
export function isFoxError(value: unknown): value is FoxError {
  return value instanceof FoxError;
}

/** True for any Fox error carrying the given code. */
export function hasFoxCode<C extends FoxErrorCode>(
  value: unknown,
  code: C,
): value is FoxError & { code: C } {
  return value instanceof FoxError && value.code === code;
}

/** `['a', 0, 'b']` → `a[0].b`; used in messages only. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
