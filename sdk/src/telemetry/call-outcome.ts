import type { SpanOutcome } from '../protocol/wire.js';

/**
 * How a failed call ended, from its error code: the outcome spans and metrics report (a
 * refusal by a policy is not the dependency failing, and a cancelled call is the caller's).
 */
export function callOutcome(code: string): SpanOutcome {
  switch (code) {
    case 'FOX_TIMEOUT':
      return 'timeout';
    case 'FOX_REJECTED':
    case 'FOX_BULKHEAD_REJECTED':
    case 'FOX_RATE_LIMITED':
    case 'FOX_BROKEN_CIRCUIT':
      return 'rejected';
    case 'FOX_ABORTED':
    case 'AbortError':
      return 'cancelled';
    default:
      return 'error';
  }
}
