/**
 * Errors raised by the resilience policies. Each carries a stable `code` from
 * {@link FoxErrorCode} so callers branch on `err.code` or the guards below, never on messages.
 */
import { FoxError } from '../errors/errors.js';

/** The circuit breaker is open (or isolated, or half-open with every trial slot taken). */
export class FoxBrokenCircuitError extends FoxError {
  readonly taskId: string | undefined;
  readonly state: 'open' | 'halfOpen' | 'isolated';
  /** Milliseconds until the breaker lets a trial call through; undefined when isolated. */
  readonly retryAfterMs: number | undefined;

  constructor(state: 'open' | 'halfOpen' | 'isolated', retryAfterMs?: number, taskId?: string) {
    super(
      'FOX_BROKEN_CIRCUIT',
      `${taskId ? `Task ${taskId}: ` : ''}circuit is ${state}; the call was not attempted`,
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

export function isBrokenCircuitError(value: unknown): value is FoxBrokenCircuitError {
  return value instanceof FoxBrokenCircuitError;
}

export function isBulkheadRejectedError(value: unknown): value is FoxBulkheadRejectedError {
  return value instanceof FoxBulkheadRejectedError;
}

export function isRateLimitedError(value: unknown): value is FoxRateLimitedError {
  return value instanceof FoxRateLimitedError;
}

/** The `code` of any error-like value (Fox codes and Node's `ECONNRESET` alike), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
