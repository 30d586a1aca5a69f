/**
 * Errors raised by the resilience policies. Each carries a stable `code` from
 * {@link FoxErrorCode} so callers branch on `err.code` or the guards below, never on messages.
 */
import { FoxError, hasFoxCode } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';

/**
 * The circuit breaker is open (or isolated, or half-open with every trial slot taken). When a
 * retry gives up on it, `cause` is the call's last failure of its own (what kept failing).
 */
export class FoxBrokenCircuitError extends FoxError {
  readonly taskId: string | undefined;
  readonly state: 'open' | 'halfOpen' | 'isolated';
  /** Milliseconds until the breaker lets a trial call through; undefined when isolated. */
  readonly retryAfterMs: number | undefined;

  constructor(
    state: 'open' | 'halfOpen' | 'isolated',
    retryAfterMs?: number,
    taskId?: string,
    options?: { cause?: unknown },
  ) {
    super(
      'FOX_BROKEN_CIRCUIT',
      `${taskId ? `Task ${taskId}: ` : ''}circuit is ${state}; the call was not attempted`,
      options,
    );
    this.taskId = taskId;
    this.state = state;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The bulkhead had every slot busy and its queue full (or the queue wait was cancelled). */
export class FoxBulkheadRejectedError extends FoxError {
  readonly taskId: string | undefined;
  readonly limit: number;
  readonly queue: number;

  constructor(limit: number, queue: number, taskId?: string) {
    super(
      'FOX_BULKHEAD_REJECTED',
      `${taskId ? `Task ${taskId}: ` : ''}bulkhead full (${limit} running, ${queue} queued)`,
    );
    this.taskId = taskId;
    this.limit = limit;
    this.queue = queue;
  }
}

/** The rate limiter refused the call (mode 'reject', or the wait would exceed `maxWait`). */
export class FoxRateLimitedError extends FoxError {
  readonly taskId: string | undefined;
  /** Milliseconds until the limiter would have admitted the call. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, taskId?: string) {
    super(
      'FOX_RATE_LIMITED',
      `${taskId ? `Task ${taskId}: ` : ''}rate limit exceeded; retry after ${Math.ceil(retryAfterMs)} ms`,
    );
    this.taskId = taskId;
    this.retryAfterMs = retryAfterMs;
  }
}

registerFoxErrorClass(FoxBrokenCircuitError, 'FOX_BROKEN_CIRCUIT');
registerFoxErrorClass(FoxBulkheadRejectedError, 'FOX_BULKHEAD_REJECTED');
registerFoxErrorClass(FoxRateLimitedError, 'FOX_RATE_LIMITED');

/** True for a broken-circuit error from any copy of the sdk or a worker (by brand and code). */
export function isBrokenCircuitError(value: unknown): value is FoxBrokenCircuitError {
  return hasFoxCode(value, 'FOX_BROKEN_CIRCUIT');
}

/** True for a bulkhead rejection from any copy of the sdk or a worker (by brand and code). */
export function isBulkheadRejectedError(value: unknown): value is FoxBulkheadRejectedError {
  return hasFoxCode(value, 'FOX_BULKHEAD_REJECTED');
}

/** True for a rate-limit rejection from any copy of the sdk or a worker (by brand and code). */
export function isRateLimitedError(value: unknown): value is FoxRateLimitedError {
  return hasFoxCode(value, 'FOX_RATE_LIMITED');
}

/** The `code` of any error-like value (Fox codes and Node's `ECONNRESET` alike), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
