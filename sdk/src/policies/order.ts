/**
 * The fixed order in which a task's policies wrap each other (outermost first), and why. The
 * diagram in `index.ts` and the one in `docs/patterns.md` (generated from this) describe it.
 */
import type { PolicyKind } from './options.js';

export const POLICY_ORDER: readonly PolicyKind[] = [
  'fallback',
  'cache',
  'rateLimit',
  'retry',
  'breaker',
  'bulkhead',
  'hedge',
  'timeout',
];

/** Why each policy sits where it does. */
export const POLICY_ORDER_RATIONALE: Readonly<Record<PolicyKind, string>> = {
  fallback:
    'Outermost: turns any failure below (rate-limit rejection, open breaker, the last timeout) into the degraded answer; being outside the cache, a fallback value is never cached as if it were real.',
  cache:
    'A hit costs nothing else (no rate token, no breaker, no slot); a miss coalesces identical callers before anything counts them.',
  rateLimit:
    'Limits calls admitted. Retries are bounded separately by the retry budget, so a retry never waits behind the limiter.',
  retry:
    'Outside the breaker (as Polly and resilience4j advise): the breaker judges every attempt, and once it opens the remaining retries fail fast instead of hammering it.',
  breaker:
    'Outside the bulkhead: an open breaker rejects before the call takes a slot or a queue place; bulkhead rejections are local and the breaker ignores them.',
  bulkhead:
    'Outside hedging: a hedged call holds one slot for all its attempts, so hedging cannot multiply the calls the bulkhead admits.',
  hedge: 'Outside the timeout: each hedged attempt gets its own deadline.',
  timeout:
    'Innermost: every attempt, retried or hedged, has its own deadline, and a cooperative timeout aborts only that attempt.',
};
