/**
 * The user-facing options of the resilience policies, as zod schemas. The task options schema
 * spreads {@link PolicyOptionsShape} into its own object; each policy's `configure()` re-validates
 * with the same schema, so a value set at run time obeys exactly the rules a decorator does.
 *
 * Every schema's output (the normalized config: shorthands expanded, durations in ms, defaults
 * filled) is itself a valid input, so `configure(partial)` can merge a partial into the current
 * config and parse again.
 */
import { z } from 'zod';

/** Largest delay `setTimeout` honours (2^31 − 1 ms); longer values fire immediately. */
const MAX_TIMER_MS = 2_147_483_647;

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration: milliseconds, or a string like `'500ms'`, `'2s'`, `'1.5m'`, `'1h'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h'}`;

/** Parses a {@link Duration} to milliseconds; undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION_RE.exec(value.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

function duration(min: number, max = MAX_TIMER_MS) {
  return z.custom<Duration>().transform((v, ctx): number => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: "expected milliseconds or a duration like '2s'" });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max} ms (got ${ms})` });
      return z.NEVER;
    }
    return ms;
  });
}

/**
 * A value that is either a shorthand or an object. Picks the schema by the value's runtime type
 * and re-reports that schema's issues in place, so errors name the nested path
 * (`retry.backoff`) instead of zod's "no union member matched".
 */
function either<In, Out>(message: string, pick: (v: unknown) => z.ZodType<Out> | undefined) {
  return z.custom<In>().transform((v, ctx): Out => {
    const schema = pick(v);
    if (!schema) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as never);
    return z.NEVER;
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v !== 'function';
}

/** A predicate over the error a call failed with. */
export type ErrorPredicate = (error: unknown) => boolean;

function fn<F>(message: string) {
  return z.custom<F>((v) => typeof v === 'function', { message });
}

/** Which errors a policy reacts to: a predicate, or a list of `code`s (Fox or Node, e.g. ECONNRESET). */
const ErrorFilter = either<ErrorPredicate | readonly string[], ErrorPredicate | string[]>(
  'expected a predicate (err) => boolean or an array of error codes',
  (v) =>
    typeof v === 'function'
      ? fn<ErrorPredicate>('expected a function')
      : Array.isArray(v)
        ? z.array(z.string().min(1, 'error codes must not be empty')).min(1, 'must not be empty')
        : undefined,
);

// ── timeout ─────────────────────────────────────────────────────────────────────────────────

const TimeoutObject = z.strictObject({
  ms: duration(1),
  /**
   * 'cooperative' (default) aborts `call.signal` when the timeout fires, so a function that
   * reads it can stop work; 'abandon' leaves the work running. Both reject at once.
   */
  cancel: z.enum(['cooperative', 'abandon']).default('cooperative'),
});
export type TimeoutInput = Duration | z.input<typeof TimeoutObject>;
export type TimeoutConfig = z.output<typeof TimeoutObject>;
export const TimeoutSchema = either<TimeoutInput, TimeoutConfig>(
  "expected milliseconds, a duration like '2s', or { ms, cancel }",
  (v) =>
    typeof v === 'number' || typeof v === 'string'
      ? duration(1).transform((ms) => TimeoutObject.parse({ ms }))
      : isPlainObject(v)
        ? TimeoutObject
        : undefined,
);

// ── retry ───────────────────────────────────────────────────────────────────────────────────

const BudgetObject = z.strictObject({
  /** Retries allowed as a share of calls (Finagle's percentCanRetry). */
  ratio: z.number().min(0).max(10).default(0.1),
  /** Retries always allowed per second, even with little traffic (Finagle's minRetriesPerSec). */
  minPerSecond: z.number().min(0).max(1_000_000).default(10),
  /**
   * Tokens the bucket can bank (its capacity: the largest burst after quiet traffic). Default:
   * ten seconds of `minPerSecond`, at least 1.
   */
  reserve: z.number().min(1).max(10_000_000).optional(),
});
export type RetryBudgetConfig = z.output<typeof BudgetObject>;
const Budget = either<z.input<typeof BudgetObject> | false, RetryBudgetConfig | false>(
  'expected { ratio, minPerSecond } or false',
  (v) => (v === false ? z.literal(false) : isPlainObject(v) ? BudgetObject : undefined),
);

const RetryObject = z
  .strictObject({
    /** Total attempts, the first included (`attempts: 3` = at most 2 retries). */
    attempts: z.number().int().min(1).max(100).default(3),
    backoff: z.enum(['constant', 'exponential', 'decorrelated']).default('exponential'),
    /** Base delay before the first retry. */
    delay: duration(0).default(100),
    /** Cap on any single delay. */
    maxDelay: duration(0).default(10_000),
    retryOn: ErrorFilter.optional(),
    budget: Budget.default({ ratio: 0.1, minPerSecond: 10 }),
    /** Seeds the backoff jitter so a run (or the tuner's replay) is reproducible; default: unseeded. */
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.maxDelay < o.delay) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxDelay'],
        message: `must be >= delay (${o.delay} ms)`,
      });
    }
  });
export type RetryInput = number | z.input<typeof RetryObject>;
export type RetryConfig = z.output<typeof RetryObject>;
export const RetrySchema = either<RetryInput, RetryConfig>(
  'expected a number of attempts or { attempts, backoff, delay, ... }',
  (v) =>
    typeof v === 'number'
      ? z
          .number()
          .int()
          .min(1)
          .max(100)
          .transform((attempts) => RetryObject.parse({ attempts }))
      : isPlainObject(v)
        ? RetryObject
        : undefined,
);

// ── breaker ─────────────────────────────────────────────────────────────────────────────────

const rate = z.number().gt(0, 'must be > 0').max(1, 'must be <= 1');
const BreakerObject = z
  .strictObject({
    /** Open after this many failures in a row. Excludes the rate keys. */
    consecutive: z.number().int().min(1).max(1_000_000).optional(),
    /** Open when the failure share of the window reaches this (0..1]. */
    failureRate: rate.optional(),
    /** Open when the share of calls slower than `slowCallMs` reaches this (0..1]. */
    slowCallRate: rate.optional(),
    slowCallMs: duration(1).optional(),
    /** Time window (ms) for the rates. Excludes `count`. */
    window: duration(100).optional(),
    /** Count window: the last N calls. Excludes `window`. */
    count: z.number().int().min(1).max(100_000).optional(),
    /** Calls the window needs before rates are judged. */
    minCalls: z.number().int().min(1).max(1_000_000).optional(),
    /** Time spent open before trial calls are let through. */
    halfOpenAfter: duration(1).default(10_000),
    /** Trial calls admitted in half-open. */
    halfOpenCalls: z.number().int().min(1).max(1000).default(1),
    /** Trial successes needed to close; defaults to halfOpenCalls. */
    successThreshold: z.number().int().min(1).max(1000).optional(),
  })
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    const rateKeys = (
      ['failureRate', 'slowCallRate', 'window', 'count', 'minCalls'] as const
    ).filter((k) => o[k] !== undefined);
    if (o.consecutive !== undefined) {
      for (const k of rateKeys) issue(k, `cannot be combined with 'consecutive'`);
    } else if (o.failureRate === undefined && o.slowCallRate === undefined) {
      issue('consecutive', `give 'consecutive', or 'failureRate' and/or 'slowCallRate'`);
    }
    if (o.window !== undefined && o.count !== undefined) {
      issue('count', `cannot be combined with 'window' (pick a time or a count window)`);
    }
    if (o.slowCallRate !== undefined && o.slowCallMs === undefined) {
      issue('slowCallMs', `is required with 'slowCallRate'`);
    }
    if (o.slowCallMs !== undefined && o.slowCallRate === undefined) {
      issue('slowCallRate', `is required with 'slowCallMs'`);
    }
    if (o.count !== undefined && o.minCalls !== undefined && o.minCalls > o.count) {
      issue('minCalls', `must be <= count (${o.count})`);
    }
    if (o.successThreshold !== undefined && o.successThreshold > o.halfOpenCalls) {
      issue('successThreshold', `must be <= halfOpenCalls (${o.halfOpenCalls})`);
    }
  });
export type BreakerInput = z.input<typeof BreakerObject>;
export type BreakerConfig = z.output<typeof BreakerObject>;
export const BreakerSchema = either<BreakerInput, BreakerConfig>(
  '{ consecutive } or { failureRate, slowCallRate, slowCallMs, window | count, minCalls }',
  (v) => (isPlainObject(v) ? BreakerObject : undefined),
);

// ── bulkhead ────────────────────────────────────────────────────────────────────────────────

const BulkheadObject = z.strictObject({
  /** Calls running at once. */
  limit: z.number().int().min(1).max(1_000_000),
  /** Calls waiting for a slot; beyond it calls are rejected. */
  queue: z.number().int().min(0).max(1_000_000).default(0),
});
export type BulkheadInput = number | z.input<typeof BulkheadObject>;
export type BulkheadConfig = z.output<typeof BulkheadObject>;
export const BulkheadSchema = either<BulkheadInput, BulkheadConfig>(
  'expected a concurrency limit or { limit, queue }',
  (v) =>
    typeof v === 'number'
      ? z
          .number()
          .int()
          .min(1)
          .transform((limit) => BulkheadObject.parse({ limit }))
      : isPlainObject(v)
        ? BulkheadObject
        : undefined,
);

// ── fallback ────────────────────────────────────────────────────────────────────────────────

/** Computes a fallback from the error and the call's arguments. */
export type FallbackHandler = (error: unknown, args: unknown[]) => unknown;
const FallbackObject = z
  .strictObject({
    /** A fixed fallback value (objects must be given this way). */
    value: z.unknown().optional(),
    /** A function computing the fallback. */
    handler: fn<FallbackHandler>('expected a function (error, args) => value').optional(),
    /** Only fall back on these errors (default: any error except the caller aborting). */
    on: ErrorFilter.optional(),
  })
  .superRefine((o, ctx) => {
    const hasValue = 'value' in o;
    if (hasValue === (o.handler !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [hasValue ? 'handler' : 'value'],
        message: `give exactly one of 'value' and 'handler'`,
      });
    }
  });
export type FallbackInput =
  FallbackHandler | string | number | boolean | null | z.input<typeof FallbackObject>;
export type FallbackConfig = z.output<typeof FallbackObject>;
export const FallbackSchema = either<FallbackInput, FallbackConfig>(
  'expected a function, a primitive value, or { value | handler, on }',
  (v) =>
    typeof v === 'function'
      ? z.custom<FallbackHandler>().transform((handler) => ({ handler }))
      : v === null || ['string', 'number', 'boolean'].includes(typeof v)
        ? z.unknown().transform((value) => ({ value }))
        : isPlainObject(v)
          ? FallbackObject
          : undefined,
);

// ── rate limit ──────────────────────────────────────────────────────────────────────────────

const RateLimitObject = z
  .strictObject({
    /** Token bucket: tokens added per second. Excludes `limit`/`window`. */
    perSecond: z.number().gt(0).max(1e9).optional(),
    /** Token bucket capacity (the largest burst); defaults to max(1, perSecond). */
    burst: z.number().min(1).max(1e9).optional(),
    /** Sliding window: at most `limit` calls in any `window`. Excludes `perSecond`. */
    limit: z.number().int().min(1).max(1_000_000).optional(),
    window: duration(1).optional(),
    /** 'reject' (default) fails at once with FoxRateLimitedError; 'wait' delays the call. */
    mode: z.enum(['wait', 'reject']).default('reject'),
    /** In 'wait' mode, the longest wait before rejecting anyway. */
    maxWait: duration(0).default(5_000),
  })
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (o.perSecond !== undefined) {
      if (o.limit !== undefined) issue('limit', `cannot be combined with 'perSecond'`);
      if (o.window !== undefined) issue('window', `cannot be combined with 'perSecond'`);
    } else {
      if (o.burst !== undefined) issue('burst', `only applies with 'perSecond'`);
      if (o.limit === undefined) issue('perSecond', `give 'perSecond', or 'limit' and 'window'`);
      else if (o.window === undefined) issue('window', `is required with 'limit'`);
    }
  });
export type RateLimitInput = z.input<typeof RateLimitObject>;
export type RateLimitConfig = z.output<typeof RateLimitObject>;
export const RateLimitSchema = either<RateLimitInput, RateLimitConfig>(
  'expected { perSecond } or { limit, window }',
  (v) => (isPlainObject(v) ? RateLimitObject : undefined),
);

// ── hedge ───────────────────────────────────────────────────────────────────────────────────

export const HEDGE_PERCENTILES = { p50: 50, p90: 90, p95: 95, p99: 99 } as const;
const HedgeAfter = either<Duration | keyof typeof HEDGE_PERCENTILES, number | string>(
  "expected milliseconds or one of 'p50', 'p90', 'p95', 'p99'",
  (v) =>
    typeof v === 'string' && v in HEDGE_PERCENTILES
      ? z.enum(['p50', 'p90', 'p95', 'p99'])
      : typeof v === 'number' || typeof v === 'string'
        ? duration(0)
        : undefined,
);
const HedgeObject = z.strictObject({
  /** Start another attempt after this delay, or after the task's live latency percentile. */
  after: HedgeAfter,
  /** Extra attempts at most (so `max + 1` in flight). */
  max: z.number().int().min(1).max(10).default(1),
  /**
   * Load limit on hedges, a token bucket like the retry budget: each call deposits `ratio`, a
   * hedge spends one, so hedges add at most `ratio` of the offered load once the reserve is
   * spent (a slowed dependency is not hit ×(max + 1)). `false` turns it off.
   */
  budget: Budget.default({ ratio: 0.1, minPerSecond: 10 }),
});
export type HedgeInput = z.input<typeof HedgeObject>;
export type HedgeConfig = {
  after: number | keyof typeof HEDGE_PERCENTILES;
  max: number;
  budget: RetryBudgetConfig | false;
};
export const HedgeSchema = either<HedgeInput, HedgeConfig>(
  "expected { after: ms | 'p95', max }",
  (v) => (isPlainObject(v) ? (HedgeObject as z.ZodType<HedgeConfig>) : undefined),
);

// ── cache ───────────────────────────────────────────────────────────────────────────────────

/** A cache entry as an L2 store keeps it. `expiresAt` is wall-clock epoch ms. */
export interface CacheL2Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * A second-level cache of your own (the `l2` option), shared across processes and restarts as
 * far as it is; the built-in one is the `sqlite` tier (policies/cache/sqlite-tier.ts).
 * Synchronous like better-sqlite3; values must be serializable by the implementation.
 */
export interface CacheL2 {
  get(key: string): CacheL2Entry | undefined;
  set(key: string, entry: CacheL2Entry): void;
  delete?(key: string): void;
}

// `any` here so `key: (o) => o.id` gets a usable parameter type from context; the task's own
// typing narrows it to the function's arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CacheKeyFn = (...args: any[]) => string | number;

/** The cache tiers, fastest first; `tiers` is a prefix of this. */
export const CACHE_TIERS = ['memory', 'sqlite', 'redis'] as const;
export type CacheTierName = (typeof CACHE_TIERS)[number];

/** How to reach the cache's Redis: a `redis://` / `rediss://` URL or ioredis options. */
export type CacheRedisConnection = string | Record<string, unknown>;
export const CacheRedisConnectionSchema = either<CacheRedisConnection, CacheRedisConnection>(
  'expected a redis:// or rediss:// URL or ioredis options ({ host, port, password, tls, db, … })',
  (v) =>
    typeof v === 'string'
      ? z.string().regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL')
      : isPlainObject(v)
        ? z.record(z.string(), z.unknown())
        : undefined,
);

const CacheSqliteObject = z.strictObject({
  /** How long an L2 value is fresh (default: the cache's `ttl`). */
  ttl: duration(1).optional(),
  /** SQLite file (default: the store's file from `fox.configure({ store })`, else `.fox/fox.db`). */
  path: z.string().min(1).optional(),
  /** Entries kept for this task; beyond it expired then least recently used ones are evicted. */
  maxEntries: z.number().int().min(1).max(100_000_000).default(10_000),
});

const CacheRedisObject = z.strictObject({
  /** How long an L3 value is fresh (default: the cache's `ttl`). */
  ttl: duration(1).optional(),
  /** The cache's own Redis (never the queue's: BullMQ needs `noeviction`). */
  connection: CacheRedisConnectionSchema.optional(),
  /** How long a process computing a missing key holds its lock; a dead holder's lock expires. */
  lockTtl: duration(10).default(10_000),
  /** How long other processes wait for that value before computing it themselves. */
  lockWait: duration(0).default(5_000),
});

const CacheObject = z
  .strictObject({
    /** How long a value is fresh. */
    ttl: duration(1),
    /** Cache key from the call's arguments; default: the arguments as JSON. */
    key: fn<CacheKeyFn>('expected a function (...args) => string').optional(),
    /** After `ttl`, serve the stale value for this long while one call refreshes it. */
    staleWhileRevalidate: duration(0).default(0),
    /** Entries kept in memory (L1). */
    max: z.number().int().min(1).max(10_000_000).default(1000),
    /** A synchronous second level of your own (instead of the `sqlite` tier); `false`: none. */
    l2: z
      .custom<CacheL2 | false>(
        (v) =>
          v === false ||
          (isPlainObject(v) && typeof v.get === 'function' && typeof v.set === 'function'),
        { message: 'expected an object with get(key) and set(key, entry), or false' },
      )
      .optional(),
    /**
     * Where values live, fastest first: any prefix of `['memory', 'sqlite', 'redis']` (L1 in-process
     * LRU, L2 SQLite file per machine, L3 Redis shared by every process). Default `['memory']`.
     * Lower tiers store values with the JSON codec (see policies/cache/value-codec.ts).
     */
    tiers: z
      .array(z.enum(CACHE_TIERS))
      .min(1, 'must name at least one tier')
      .refine((t) => t.every((name, i) => name === CACHE_TIERS[i]), {
        message: `must be a prefix of ['memory', 'sqlite', 'redis'], in that order`,
      })
      .default(['memory']),
    /** Part of every key below L1; bump it to drop what older code stored. */
    version: z.union([z.number().int().min(0), z.string().min(1).max(64)]).default(1),
    /** The L2 tier: `ttl` (default: `ttl`), `path` (default: the store's file), `maxEntries`. */
    sqlite: CacheSqliteObject.optional(),
    /** The L3 tier: `ttl`, `connection` (default: `fox.configure({ cacheRedis })`), lock. */
    redis: CacheRedisObject.optional(),
  })
  .superRefine((o, ctx) => {
    for (const tier of ['sqlite', 'redis'] as const) {
      if (o[tier] !== undefined && !o.tiers.includes(tier)) {
        ctx.addIssue({ code: 'custom', path: [tier], message: `needs '${tier}' in 'tiers'` });
      }
    }
    if (o.l2 && o.tiers.includes('sqlite')) {
      ctx.addIssue({
        code: 'custom',
        path: ['l2'],
        message: `cannot be combined with the 'sqlite' tier`,
      });
    }
  });
export type CacheInput = z.input<typeof CacheObject>;
export type CacheConfig = z.output<typeof CacheObject>;
export const CacheSchema = either<CacheInput, CacheConfig>('expected { ttl, key, ... }', (v) =>
  isPlainObject(v) ? CacheObject : undefined,
);

// ── all together ────────────────────────────────────────────────────────────────────────────

/** The policy options, each optional; spread into the task options object schema. */
export const PolicyOptionsShape = {
  timeout: TimeoutSchema.optional(),
  retry: RetrySchema.optional(),
  breaker: BreakerSchema.optional(),
  bulkhead: BulkheadSchema.optional(),
  fallback: FallbackSchema.optional(),
  rateLimit: RateLimitSchema.optional(),
  hedge: HedgeSchema.optional(),
  cache: CacheSchema.optional(),
};

/**
 * Combinations of policies that cannot work, found at decoration (each names the option). Today:
 * a fixed hedge delay at or past the timeout, where the attempt times out before a hedge starts.
 */
export function policyConflicts(o: {
  timeout?: TimeoutConfig | undefined;
  hedge?: HedgeConfig | undefined;
}): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  const after = o.hedge?.after;
  if (typeof after === 'number' && o.timeout !== undefined && after >= o.timeout.ms) {
    out.push({
      path: ['hedge', 'after'],
      message: `must be < timeout (${o.timeout.ms} ms): the attempt times out before a hedge could start (got ${after} ms)`,
    });
  }
  return out;
}

/** Schema of the policy options alone (the keys above, nothing else). */
export const PolicyOptionsSchema = z.strictObject(PolicyOptionsShape).superRefine((o, ctx) => {
  for (const c of policyConflicts(o)) ctx.addIssue({ code: 'custom', ...c });
});
/** Policy options as a user writes them. */
export type PolicyOptionsInput = z.input<typeof PolicyOptionsSchema>;
/** Policy options after validation: shorthands expanded, durations in ms, defaults filled. */
export type PolicyOptions = z.output<typeof PolicyOptionsSchema>;
export type PolicyKind = keyof typeof PolicyOptionsShape;

/** The schema of each policy's options, by kind (used by `configure`). */
export const POLICY_SCHEMAS: { [K in PolicyKind]: z.ZodType<PolicyOptions[K]> } = {
  timeout: TimeoutSchema,
  retry: RetrySchema,
  breaker: BreakerSchema,
  bulkhead: BulkheadSchema,
  fallback: FallbackSchema,
  rateLimit: RateLimitSchema,
  hedge: HedgeSchema,
  cache: CacheSchema,
};
