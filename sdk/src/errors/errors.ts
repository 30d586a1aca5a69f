/**
 * Every error Fox raises is a {@link FoxError} with a stable `code`, so callers can branch on
 * `err.code` (or the type guards below) without string-matching messages.
 *
 * The guards recognise a Fox error by a brand, not by `instanceof` alone: an error made by
 * another copy of the sdk (the ESM and CJS builds in one process) or in another realm is a
 * different class with the same brand. `instanceof` on Fox's classes uses the brand too.
 */

/** Stable error codes. Adding a code is fine; renaming one is a breaking change. */
export const FOX_ERROR_CODES = [
  'FOX_CONFIG',
  'FOX_DUPLICATE_TASK',
  'FOX_VALIDATION',
  'FOX_REJECTED',
  'FOX_TIMEOUT',
  'FOX_BROKEN_CIRCUIT',
  'FOX_BULKHEAD_REJECTED',
  'FOX_RATE_LIMITED',
  'FOX_ABORTED',
  'FOX_SHUTDOWN',
  'FOX_STORE',
  'FOX_STORE_TOO_NEW',
  'FOX_WORKER',
  'FOX_NOT_EXPORTED',
  'FOX_DATA_CLONE',
  'FOX_UNAVAILABLE',
  'FOX_REMOTE_REFUSED',
  'FOX_PAYLOAD_TOO_LARGE',
  'FOX_NOT_JSON',
  'FOX_MISSING_PEER',
  'FOX_CHAOS_INJECTED',
  'FOX_CHAOS_INVALID',
  'FOX_CHAOS_KILLED',
  'FOX_FLOW_FAILED',
  'FOX_FLOW_NOT_SERIALIZABLE',
  'FOX_FLOW_UNKNOWN_RUN',
  'GUARDIAN_UNKNOWN_PROPOSAL',
  'GUARDIAN_NOT_PENDING',
  'GUARDIAN_EXPIRED',
  'GUARDIAN_NOT_AN_APPROVER',
  'GUARDIAN_SELF_APPROVAL',
  'GUARDIAN_DUPLICATE_VOTE',
  'GUARDIAN_HASH_MISMATCH',
  'GUARDIAN_INVALID_PROPOSAL',
  'GUARDIAN_AUDIT_FAILED',
  'GUARDIAN_WEBHOOK_FAILED',
] as const;

/** Stable error codes (see {@link FOX_ERROR_CODES}). */
export type FoxErrorCode = (typeof FOX_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(FOX_ERROR_CODES);

/** True when `code` is one of Fox's own codes. */
export function isFoxErrorCode(code: unknown): code is FoxErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/** The brand every Fox error carries (on `FoxError.prototype`), in every copy and realm. */
export const FOX_ERROR_BRAND: unique symbol = Symbol.for('fox.error');

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/** Base class of every error thrown by Fox. */
export class FoxError extends Error {
  readonly code: FoxErrorCode;

  constructor(code: FoxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * `err instanceof FoxTimeoutError` also holds for a FoxTimeoutError made by another copy of
   * the sdk: a branded error whose prototype chain has a class of the same name.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (...args: never[]) => T,
    value: unknown,
  ): value is T {
    if (ordinaryHasInstance.call(this, value)) return true;
    if (!isFoxError(value)) return false;
    if ((this as unknown) === FoxError) return true;
    for (let p = Object.getPrototypeOf(value) as object | null; p; p = Object.getPrototypeOf(p)) {
      const ctor = (p as { constructor?: { name?: unknown } }).constructor;
      if (ctor?.name === this.name) return true;
    }
    return false;
  }
}
Object.defineProperty(FoxError.prototype, FOX_ERROR_BRAND, { value: true });

/**
 * An option given to `fox()` / `@fox()` or `fox.configure()` is invalid. Thrown at decoration
 * (or configure) time, never at call time. `path` names the option, e.g. `['limiter', 'max']`.
 */
export class FoxConfigError extends FoxError {
  readonly path: readonly (string | number)[];
  /** The task the option belongs to, when known. */
  readonly taskId: string | undefined;

  /** What is wrong with the option, without the option and task (those are in `message`). */
  readonly reason: string;

  constructor(path: readonly (string | number)[], message: string, taskId?: string) {
    const where = path.length > 0 ? `option '${path.join('.')}'` : 'options';
    const task = taskId ? ` (task ${taskId})` : '';
    super('FOX_CONFIG', `Invalid fox ${where}${task}: ${message}`);
    this.path = path;
    this.taskId = taskId;
    this.reason = message;
  }

  /** The same error naming `taskId` (this one when it already names a task). */
  forTask(taskId: string | undefined): FoxConfigError {
    if (this.taskId !== undefined || taskId === undefined) return this;
    const named = new FoxConfigError(this.path, this.reason, taskId);
    named.stack = this.stack?.replace(this.message, named.message);
    return named;
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

/**
 * A call's arguments (or its result) did not match the task's `input` (or `output`) schema.
 * The message lists every issue; `path` is the first one's.
 */
export class FoxValidationError extends FoxError {
  readonly taskId: string;
  readonly direction: 'input' | 'output';
  readonly issues: readonly FoxValidationIssue[];
  /** Where the first issue is: for input, the argument index, then the path inside it. */
  readonly path: readonly (string | number)[];

  constructor(taskId: string, direction: 'input' | 'output', issues: FoxValidationIssue[]) {
    const head = `Task ${taskId}: ${direction} failed validation`;
    const first = issues[0];
    super(
      'FOX_VALIDATION',
      issues.length > 1
        ? `${head} (${issues.length} issues): ${issues.map(describeIssue).join('; ')}`
        : first && first.path.length > 0
          ? `${head} ${describeIssue(first)}`
          : `${head}: ${first?.message ?? 'invalid'}`,
    );
    this.taskId = taskId;
    this.direction = direction;
    this.issues = issues;
    this.path = issues[0]?.path ?? [];
  }
}

/** `at a[0].b: message`, or the message alone for an issue with the value itself. */
function describeIssue(issue: FoxValidationIssue): string {
  return issue.path.length > 0 ? `at ${formatPath(issue.path)}: ${issue.message}` : issue.message;
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

/**
 * The store file was written by newer code: its format, or one subsystem's tables, are at a
 * version this code has no migrations for. The file is left untouched.
 */
export class FoxStoreTooNewError extends FoxError {
  constructor(
    /** `format` (the file's bookkeeping) or a subsystem (`store`, `guardian`, …). */
    readonly subsystem: string,
    /** The version found in the file. */
    readonly found: number,
    /** The newest version this code knows. */
    readonly supported: number,
  ) {
    super(
      'FOX_STORE_TOO_NEW',
      `The fox store's ${subsystem} schema is at version ${found}, newer than this code ` +
        `supports (${supported}). Upgrade @fox/sdk (and @fox/profiler), or point the store at ` +
        `another path; the file was left untouched.`,
    );
  }
}

/**
 * True for any error raised by Fox: by this copy of the sdk, another copy in the process, or
 * a tfox worker (re-created here). Checks the brand, not the class.
 */
export function isFoxError(value: unknown): value is FoxError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [FOX_ERROR_BRAND]?: unknown })[FOX_ERROR_BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** True for any Fox error (see {@link isFoxError}) carrying the given code. */
export function hasFoxCode<C extends FoxErrorCode>(
  value: unknown,
  code: C,
): value is FoxError & { code: C } {
  return isFoxError(value) && value.code === code;
}

/** `['a', 0, 'b']` → `a[0].b`; used in messages only. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
