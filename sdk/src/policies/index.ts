/**
 * The resilience policies of a task, composed in one fixed order.
 *
 * ```text
 *   caller
 *     │
 *     ▼
 *   ┌ fallback ───────────────────────────────────────────────┐  catches everything below
 *   │ ┌ cache ───────────────────────────────────────────────┐ │  hit: answer here; miss: one call per key
 *   │ │ ┌ rateLimit ───────────────────────────────────────┐ │ │  admits calls (not attempts)
 *   │ │ │ ┌ retry (+ budget) ────────────────────────────┐ │ │ │  loops over attempts
 *   │ │ │ │ ┌ breaker ─────────────────────────────────┐ │ │ │ │  judges every attempt
 *   │ │ │ │ │ ┌ bulkhead ────────────────────────────┐ │ │ │ │ │  a slot per attempt
 *   │ │ │ │ │ │ ┌ hedge ───────────────────────────┐ │ │ │ │ │ │  extra attempts after a delay
 *   │ │ │ │ │ │ │ ┌ timeout ─────────────────────┐ │ │ │ │ │ │ │  per (hedged) attempt
 *   │ │ │ │ │ │ │ │   strategy attempt → fn      │ │ │ │ │ │ │ │
 * ```
 *
 * Why this order (outermost first):
 * - **fallback** outermost: it turns any failure below — a rate-limit rejection, an open
 *   breaker, a timeout after the last retry — into the degraded answer, and because it sits
 *   outside the cache a fallback value is never cached as if it were the real one.
 * - **cache** next: a hit costs nothing else (no rate token, no breaker, no slot), and a miss
 *   coalesces callers before they reach anything that counts calls.
 * - **rateLimit** outside retry: it limits calls admitted; retries are bounded separately by
 *   the retry budget (≤ ratio of calls), so a retry never waits behind the limiter.
 * - **retry** outside breaker (as Polly and resilience4j recommend): the breaker sees each
 *   attempt, so an outage opens it sooner, and once open the remaining retries fail fast with
 *   FoxBrokenCircuitError, which retry does not retry.
 * - **breaker** outside bulkhead: an open breaker rejects before a call takes a slot or a queue
 *   place; bulkhead rejections are local and the breaker ignores them.
 * - **bulkhead** outside hedge: a hedged call holds one slot for all its attempts, so hedging
 *   cannot multiply the calls the bulkhead admits (it bounds calls; the hedge bounds extras).
 * - **hedge** outside timeout, and **timeout** innermost: every attempt, hedged or retried, gets
 *   its own deadline, and a cooperative timeout aborts only that attempt's signal.
 *
 * Performance: `wrap` runs once per task; the per-call path allocates no closures in retry,
 * breaker, bulkhead, rateLimit or cache-hit, and when retry and breaker are both present the
 * first attempt runs both in one async frame (`RetryPolicy.wrapOverBreaker`; a property test
 * checks it behaves exactly like the plain composition).
 */
import type { Attempt } from '../task/call.js';
import { BulkheadPolicy } from './bulkhead.js';
import { CachePolicy } from './cache.js';
import { CircuitBreakerPolicy } from './circuit-breaker.js';
import { FallbackPolicy } from './fallback.js';
import { HedgePolicy } from './hedge.js';
import { PolicyOptionsShape, PolicyOptionsSchema, type PolicyKind } from './options.js';
import {
  createEmitters,
  eventsOf,
  parseOrThrow,
  type AnyPolicy,
  type PolicyContext,
  type PolicyEmitters,
  type PolicyEvents,
} from './policy.js';
import { POLICY_ORDER } from './order.js';
import { RateLimitPolicy } from './rate-limit.js';
import { RetryPolicy } from './retry.js';
import { TimeoutPolicy } from './timeout.js';

/** The policy class of each kind. */
export interface PolicyByKind {
  fallback: FallbackPolicy;
  cache: CachePolicy;
  rateLimit: RateLimitPolicy;
  retry: RetryPolicy;
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
  hedge: HedgePolicy;
  timeout: TimeoutPolicy;
}

const FACTORIES: {
  [K in PolicyKind]: (config: never, ctx: PolicyContext, emit: PolicyEmitters) => PolicyByKind[K];
} = {
  fallback: (c, x, e) => new FallbackPolicy(c, x, e),
  cache: (c, x, e) => new CachePolicy(c, x, e),
  rateLimit: (c, x, e) => new RateLimitPolicy(c, x, e),
  retry: (c, x, e) => new RetryPolicy(c, x, e),
  breaker: (c, x, e) => new CircuitBreakerPolicy(c, x, e),
  bulkhead: (c, x, e) => new BulkheadPolicy(c, x, e),
  hedge: (c, x, e) => new HedgePolicy(c, x, e),
  timeout: (c, x, e) => new TimeoutPolicy(c, x, e),
};

/** A task's policies, composed. */
export interface PolicyChain {
  /**
   * Wraps the strategy's attempt in every policy, in {@link POLICY_ORDER}. Call it once per
   * task (and again when the strategy changes); the returned Attempt is the per-call path.
   * Policy state (breaker, bulkhead, cache) is shared by every wrap of the same chain.
   */
  wrap(inner: Attempt): Attempt;
  /** The policies in wrapping order, outermost first. */
  readonly policies: readonly AnyPolicy[];
  /** Events of every policy of the chain; each subscription returns a Disposable. */
  readonly events: PolicyEvents;
  /** The policy of a kind, when the task has one (e.g. `chain.get('breaker')?.isolate()`). */
  get<K extends PolicyKind>(kind: K): PolicyByKind[K] | undefined;
  /** Stops timers, rejects queued waiters, drops listeners and caches. */
  dispose(): void;
}

/**
 * Builds the policies a task's options ask for, or `undefined` when they ask for none (so the
 * task can skip wrapping entirely). `options` may be the raw options or the already-validated
 * ones (validation output is valid input); keys other than policy keys are ignored. Throws
 * FoxConfigError naming the option path.
 */
export function buildPolicies(
  options: Readonly<Record<string, unknown>>,
  ctx: PolicyContext,
): PolicyChain | undefined {
  const picked: Record<string, unknown> = {};
  let any = false;
  for (const kind of POLICY_ORDER) {
    if (options[kind] !== undefined) {
      picked[kind] = options[kind];
      any = true;
    }
  }
  if (!any) return undefined;
  const parsed = parseOrThrow(PolicyOptionsSchema, picked, [], ctx.taskId) as Record<
    PolicyKind,
    unknown
  >;
  const emitters = createEmitters();
  const byKind = new Map<PolicyKind, AnyPolicy>();
  const policies: AnyPolicy[] = [];
  for (const kind of POLICY_ORDER) {
    const config = parsed[kind];
    if (config === undefined) continue;
    const policy = FACTORIES[kind](config as never, ctx, emitters);
    byKind.set(kind, policy);
    policies.push(policy);
  }
  return {
    policies,
    events: eventsOf(emitters),
    wrap(inner: Attempt): Attempt {
      let attempt = inner;
      let belowBreaker: Attempt | undefined;
      for (let i = policies.length - 1; i >= 0; i--) {
        const policy = policies[i]!;
        const next = policies[i + 1];
        if (policy instanceof CircuitBreakerPolicy) belowBreaker = attempt;
        attempt =
          policy instanceof RetryPolicy &&
          next instanceof CircuitBreakerPolicy &&
          belowBreaker &&
          ctx.fuse !== false
            ? policy.wrapOverBreaker(next, belowBreaker, attempt)
            : policy.wrap(attempt);
      }
      return attempt;
    },
    get<K extends PolicyKind>(kind: K): PolicyByKind[K] | undefined {
      return byKind.get(kind) as PolicyByKind[K] | undefined;
    },
    dispose(): void {
      for (const p of policies) p.dispose();
      for (const name of Object.keys(emitters) as (keyof PolicyEmitters)[]) emitters[name].clear();
    },
  };
}

export { PolicyOptionsShape, PolicyOptionsSchema };
export { POLICY_ORDER, POLICY_ORDER_RATIONALE } from './order.js';
export type {
  BreakerConfig,
  BreakerInput,
  BulkheadConfig,
  BulkheadInput,
  CacheConfig,
  CacheInput,
  CacheKeyFn,
  CacheL2,
  CacheL2Entry,
  Duration,
  ErrorPredicate,
  FallbackConfig,
  FallbackHandler,
  FallbackInput,
  HedgeConfig,
  HedgeInput,
  PolicyKind,
  PolicyOptions,
  PolicyOptionsInput,
  RateLimitConfig,
  RateLimitInput,
  RetryBudgetConfig,
  RetryConfig,
  RetryInput,
  TimeoutConfig,
  TimeoutInput,
} from './options.js';
export { parseDuration } from './options.js';
export type {
  BreakEvent,
  CacheHitEvent,
  CacheMissEvent,
  FallbackEvent,
  GiveUpEvent,
  HalfOpenEvent,
  HedgeEvent,
  AnyPolicy,
  Policy,
  PolicyOwnEvents,
  PolicyContext,
  PolicyEventMap,
  PolicyEventName,
  PolicyEvents,
  RejectEvent,
  ResetEvent,
  RetryEvent,
  TimeoutEvent,
} from './policy.js';
export { POLICY_EVENT_NAMES } from './policy.js';
export * from './errors.js';
export { CACHE_CODEC, FoxCacheValueError } from './cache/value-codec.js';
export type { CacheStatsSnapshot, CacheTierCounts } from './cache/cache-stats.js';
export { CACHE_ENTRIES, CACHE_SCHEMA } from './cache/sqlite-tier.js';
export type { CacheRedisConnection, CacheTierName } from './options.js';
export type { BreakerSnapshot, BreakerState } from './circuit-breaker.js';
export {
  BulkheadPolicy,
  CachePolicy,
  CircuitBreakerPolicy,
  FallbackPolicy,
  HedgePolicy,
  RateLimitPolicy,
  RetryPolicy,
  TimeoutPolicy,
};
export { RetryBudget } from './retry-budget.js';
