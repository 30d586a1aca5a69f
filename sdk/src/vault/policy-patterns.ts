/** Vault entries of the resilience policies (sdk/src/policies). */
import type { Pattern } from './pattern.js';

const T = 'sdk/test/policies/';

export const POLICY_PATTERNS: readonly Pattern[] = [
  {
    id: 'timeout',
    kind: 'policy',
    name: 'Timeout',
    option: 'timeout',
    problem:
      'A call to a slow or hung dependency holds the caller (and its resources) for as long as the dependency takes — possibly forever.',
    whenToUse: [
      'Every call that crosses a process boundary (HTTP, database, queue, file system on network storage).',
      'Under retry: each attempt gets its own deadline, so one hung attempt does not eat the whole budget.',
      "With cancel: 'cooperative' when the function can stop work on `fox.context()?.signal` (fetch, streams).",
    ],
    whenNotToUse: [
      'Pure CPU work on the event loop: a timeout cannot interrupt it; run it under tfox instead.',
      'Operations that must not be abandoned half-way (non-idempotent writes) unless the function handles the abort.',
    ],
    parameters: [
      { name: 'ms', type: "number | '2s'", required: true, description: 'Deadline per attempt.' },
      {
        name: 'cancel',
        type: "'cooperative' | 'abandon'",
        default: 'cooperative',
        description:
          "'cooperative' aborts the call's signal when the deadline passes; 'abandon' lets the work run on. Both reject at once with FoxTimeoutError.",
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const getUser = fox(
  { mode: 'sfox', timeout: { ms: 2000, cancel: 'cooperative' } },
  async function getUser(id: string): Promise<unknown> {
    const signal = fox.context()?.signal;
    const res = await fetch(\`https://api.example.com/users/\${id}\`, { signal });
    return res.json();
  },
);
`,
    verification: { level: 'unit-tested', evidence: [`${T}timeout.test.ts`, `${T}chain.test.ts`] },
    related: ['retry-budget', 'hedge', 'breaker'],
  },
  {
    id: 'retry-budget',
    kind: 'policy',
    name: 'Retry with backoff, jitter and a retry budget',
    option: 'retry',
    problem:
      'Transient failures (a dropped connection, a leader election) fail calls that would succeed a moment later; naive retries, though, multiply the load on a dependency that is already failing.',
    whenToUse: [
      'Idempotent operations against dependencies with transient faults.',
      'Always with the budget on (the default): retries are capped at a share of calls plus a small floor per second, so an outage is not amplified.',
      "With retryOn listing the codes that are really transient (e.g. ['ECONNRESET', 'FOX_TIMEOUT']).",
    ],
    whenNotToUse: [
      'Non-idempotent writes without an idempotency key.',
      'Errors that cannot heal by waiting (validation, authorization, 4xx): filter them out with retryOn.',
      'Latency-critical paths where a hedge serves the tail better than a retry.',
    ],
    parameters: [
      {
        name: 'attempts',
        type: 'number',
        default: 3,
        description: 'Total attempts, the first included.',
      },
      {
        name: 'backoff',
        type: "'constant' | 'exponential' | 'decorrelated'",
        default: 'exponential',
        description:
          'Delay growth; exponential uses equal jitter, decorrelated uses AWS decorrelated jitter.',
      },
      {
        name: 'delay',
        type: "number | '100ms'",
        default: 100,
        description: 'Base delay before the first retry (ms).',
      },
      {
        name: 'maxDelay',
        type: "number | '10s'",
        default: 10_000,
        description: 'Cap on any single delay (ms).',
      },
      {
        name: 'retryOn',
        type: '(err) => boolean | string[]',
        description:
          'Which errors to retry. Default: any error except caller aborts, validation/config errors, an open circuit, bulkhead and rate-limit rejections.',
      },
      {
        name: 'budget',
        type: '{ ratio, minPerSecond, reserve? } | false',
        default: { ratio: 0.1, minPerSecond: 10 },
        description:
          'Retry budget (Finagle): retries ≤ ratio × calls + minPerSecond per second, with `reserve` tokens banked (default ten seconds of the floor).',
      },
      {
        name: 'seed',
        type: 'number',
        description:
          'Seeds the backoff jitter so a run can be replayed exactly. Default: unseeded.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const charge = fox(
  {
    mode: 'sfox',
    retry: {
      attempts: 4,
      backoff: 'exponential',
      delay: '200ms',
      maxDelay: '5s',
      retryOn: ['ECONNRESET', 'FOX_TIMEOUT'],
      budget: { ratio: 0.1, minPerSecond: 5 },
    },
    timeout: '2s',
  },
  async function charge(orderId: string, idempotencyKey: string): Promise<string> {
    return \`\${orderId}:\${idempotencyKey}\`;
  },
);
`,
    verification: {
      level: 'property-tested',
      evidence: [`${T}retry.test.ts`, `${T}chain.test.ts`],
    },
    related: ['timeout', 'breaker', 'fallback'],
  },
  {
    id: 'breaker',
    kind: 'policy',
    name: 'Circuit breaker',
    option: 'breaker',
    problem:
      'When a dependency is down, every call still waits for it to fail, wasting time and piling load on it while it tries to recover.',
    whenToUse: [
      'Remote dependencies that fail as a whole (a database, a partner API).',
      "{ consecutive } for low-traffic calls; { failureRate, window, minCalls } for busy ones; add slowCallRate + slowCallMs when 'slow' is the failure mode.",
      'With a fallback, so an open circuit degrades instead of failing.',
    ],
    whenNotToUse: [
      'Local, in-process work: there is nothing to protect.',
      'Calls whose failures are per-request (bad input), not per-dependency: they would open the circuit for everyone.',
    ],
    parameters: [
      {
        name: 'consecutive',
        type: 'number',
        description: 'Open after this many failures in a row (excludes the rate keys).',
      },
      {
        name: 'failureRate',
        type: '0..1',
        description: 'Open when the failure share of the window reaches it.',
      },
      {
        name: 'slowCallRate',
        type: '0..1',
        description: 'Open when the share of slow calls reaches it (needs slowCallMs).',
      },
      {
        name: 'slowCallMs',
        type: 'number',
        description: 'A call at least this slow counts as slow.',
      },
      {
        name: 'window',
        type: "number | '60s'",
        description: 'Time window for the rates; default 60 s when no count is given.',
      },
      {
        name: 'count',
        type: 'number',
        description: 'Count window: the last N calls (instead of a time window).',
      },
      {
        name: 'minCalls',
        type: 'number',
        description: 'Calls the window needs before judging; default count, or 20.',
      },
      {
        name: 'halfOpenAfter',
        type: "number | '10s'",
        default: 10_000,
        description: 'Time open before trial calls (ms).',
      },
      {
        name: 'halfOpenCalls',
        type: 'number',
        default: 1,
        description: 'Trial calls admitted in half-open.',
      },
      {
        name: 'successThreshold',
        type: 'number',
        description: 'Trial successes needed to close; default halfOpenCalls.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const quote = fox(
  {
    mode: 'sfox',
    breaker: {
      failureRate: 0.5,
      slowCallRate: 0.8,
      slowCallMs: 1000,
      window: '30s',
      minCalls: 20,
      halfOpenAfter: '15s',
      halfOpenCalls: 3,
      successThreshold: 2,
    },
    fallback: { value: { price: null, stale: true } },
  },
  async function quote(symbol: string): Promise<{ price: number | null; stale: boolean }> {
    return { price: symbol.length, stale: false };
  },
);
`,
    verification: {
      level: 'property-tested',
      evidence: [`${T}circuit-breaker.test.ts`, `${T}chain.test.ts`],
    },
    related: ['fallback', 'retry-budget', 'timeout'],
  },
  {
    id: 'bulkhead',
    kind: 'policy',
    name: 'Bulkhead',
    option: 'bulkhead',
    problem:
      'One slow dependency can take every connection, socket or memory slot of the process, and drag unrelated work down with it.',
    whenToUse: [
      'Calls to a dependency with limited capacity (a connection pool, a rate-limited API).',
      'Isolating a risky feature so it cannot starve the rest of the service.',
    ],
    whenNotToUse: [
      'When the load is better shaped adaptively: wfox learns the limit instead of fixing it.',
      'CPU-bound work: use tfox, whose pool size is the real bound.',
    ],
    parameters: [
      { name: 'limit', type: 'number', required: true, description: 'Calls running at once.' },
      {
        name: 'queue',
        type: 'number',
        default: 0,
        description: 'Calls waiting for a slot; beyond it, FoxBulkheadRejectedError.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const render = fox(
  { mode: 'sfox', bulkhead: { limit: 8, queue: 32 } },
  async function render(template: string): Promise<string> {
    return template.toUpperCase();
  },
);
`,
    verification: { level: 'property-tested', evidence: [`${T}bulkhead.test.ts`] },
    related: ['wfox', 'rate-limit'],
  },
  {
    id: 'fallback',
    kind: 'policy',
    name: 'Fallback',
    option: 'fallback',
    problem:
      'Some answer — a cached value, a default, a degraded response — is better than an error for the caller.',
    whenToUse: [
      'Reads where a stale or default answer is acceptable (recommendations, prices marked stale, feature flags).',
      'Behind a breaker, so an open circuit degrades gracefully; restrict with `on` to the failures it should cover.',
    ],
    whenNotToUse: [
      'Writes: a fallback that pretends a write succeeded hides data loss.',
      'When the caller must know the call failed to stay correct.',
    ],
    parameters: [
      {
        name: 'value',
        type: 'unknown',
        description: 'A fixed value (primitives may be given directly: fallback: 0).',
      },
      {
        name: 'handler',
        type: '(error, args) => value',
        description: 'Computes the fallback (a bare function works too).',
      },
      {
        name: 'on',
        type: '(err) => boolean | string[]',
        description: 'Which errors to cover; default any except the caller aborting.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

const lastKnown = new Map<string, number>();

export const price = fox(
  {
    mode: 'sfox',
    timeout: 500,
    fallback: { handler: (_err, args) => lastKnown.get(String(args[0])) ?? 0, on: ['FOX_TIMEOUT', 'FOX_BROKEN_CIRCUIT'] },
  },
  async function price(sku: string): Promise<number> {
    const p = sku.length * 10;
    lastKnown.set(sku, p);
    return p;
  },
);
`,
    verification: { level: 'unit-tested', evidence: [`${T}fallback.test.ts`, `${T}chain.test.ts`] },
    related: ['breaker', 'cache'],
  },
  {
    id: 'rate-limit',
    kind: 'policy',
    name: 'Rate limit',
    option: 'rateLimit',
    problem:
      'A dependency (or a quota) allows only so many calls per second; going over gets you throttled, banned or billed.',
    whenToUse: [
      'Third-party APIs with published rate limits: { perSecond, burst } (token bucket).',
      "Strict 'at most N per window' quotas: { limit, window } (exact sliding window).",
      "mode: 'wait' for background work that may be delayed; 'reject' for request paths that must answer now.",
    ],
    whenNotToUse: [
      'To protect the process from overload: concurrency (bulkhead, wfox) is the right measure, not rate.',
    ],
    parameters: [
      {
        name: 'perSecond',
        type: 'number',
        description: 'Token bucket rate (excludes limit/window).',
      },
      {
        name: 'burst',
        type: 'number',
        description: 'Token bucket capacity; default max(1, perSecond).',
      },
      { name: 'limit', type: 'number', description: 'Sliding window: calls allowed per window.' },
      { name: 'window', type: "number | '1s'", description: 'Sliding window length.' },
      {
        name: 'mode',
        type: "'wait' | 'reject'",
        default: 'reject',
        description: 'Reject with FoxRateLimitedError, or wait for a slot.',
      },
      {
        name: 'maxWait',
        type: "number | '5s'",
        default: 5000,
        description: "In 'wait' mode, the longest wait before rejecting.",
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const geocode = fox(
  { mode: 'sfox', rateLimit: { perSecond: 50, burst: 10, mode: 'wait', maxWait: '2s' } },
  async function geocode(address: string): Promise<[number, number]> {
    return [address.length, 0];
  },
);
`,
    verification: { level: 'property-tested', evidence: [`${T}rate-limit.test.ts`] },
    related: ['bulkhead', 'retry-budget'],
  },
  {
    id: 'hedge',
    kind: 'policy',
    name: 'Hedged requests',
    option: 'hedge',
    problem:
      'Tail latency: a small share of calls is far slower than the rest for reasons unrelated to the request (GC pause, a slow replica).',
    whenToUse: [
      "Idempotent reads against replicated services, with after: 'p95' so only the slowest 5% are hedged.",
      'When the extra load (≈ 1 − percentile of calls) is affordable.',
    ],
    whenNotToUse: [
      'Writes or anything non-idempotent.',
      'Dependencies that are slow because they are overloaded: hedging adds load exactly when it hurts.',
    ],
    parameters: [
      {
        name: 'after',
        type: "number | 'p50' | 'p90' | 'p95' | 'p99'",
        required: true,
        description:
          "Delay before the next attempt; a percentile uses the task's live latency (no hedging until there is data).",
      },
      { name: 'max', type: 'number', default: 1, description: 'Extra attempts at most.' },
      {
        name: 'budget',
        type: '{ ratio, minPerSecond, reserve? } | false',
        default: { ratio: 0.1, minPerSecond: 10 },
        description:
          'Hedge budget (a token bucket like the retry budget): hedges ≤ ratio × calls + minPerSecond per second, so a slowed dependency is not hit (max + 1)×.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const readReplica = fox(
  { mode: 'sfox', hedge: { after: 'p95', max: 1 }, timeout: '1s' },
  async function readReplica(key: string): Promise<string | undefined> {
    const signal = fox.context()?.signal;
    return signal?.aborted ? undefined : key;
  },
);
`,
    verification: { level: 'unit-tested', evidence: [`${T}hedge.test.ts`, `${T}chain.test.ts`] },
    related: ['timeout', 'cache'],
  },
  {
    id: 'cache',
    kind: 'policy',
    name: 'Result cache with request coalescing',
    option: 'cache',
    problem:
      'The same expensive call is repeated with the same arguments, and a burst of identical calls (a cache stampede) all hit the dependency at once.',
    whenToUse: [
      'Pure or slowly changing reads (configuration, catalogue data, rendered fragments).',
      'staleWhileRevalidate when a slightly old value is fine and latency matters more.',
      "tiers: ['memory', 'sqlite'] to keep values across restarts on a machine (L2, the store's SQLite file).",
      "tiers: ['memory', 'sqlite', 'redis'] to share values between processes and machines (L3), computing a missing key once across all of them.",
    ],
    whenNotToUse: [
      'Per-user or security-sensitive data unless the key includes the user.',
      'Results that must be fresh, or calls with side effects.',
    ],
    parameters: [
      {
        name: 'ttl',
        type: "number | '30s'",
        required: true,
        description: 'How long a value is fresh.',
      },
      {
        name: 'key',
        type: '(...args) => string',
        description: 'Cache key; default: the arguments as JSON.',
      },
      {
        name: 'staleWhileRevalidate',
        type: "number | '1m'",
        default: 0,
        description: 'How long past ttl a stale value is served while one call refreshes it.',
      },
      { name: 'max', type: 'number', default: 1000, description: 'Entries kept in memory (LRU).' },
      {
        name: 'tiers',
        type: "('memory' | 'sqlite' | 'redis')[]",
        default: ['memory'],
        description:
          "Where values live, fastest first; any prefix of ['memory', 'sqlite', 'redis']. Lower tiers store JSON (other results fail with FOX_DATA_CLONE).",
      },
      {
        name: 'version',
        type: 'number | string',
        default: 1,
        description: 'Part of every L2/L3 key with the task id; bump it to retire stored values.',
      },
      {
        name: 'sqlite',
        type: '{ ttl, path, maxEntries }',
        description:
          "L2: its own TTL (default ttl), file (default the store's), entries per task (default 10000; expired, then least recently used, are evicted).",
      },
      {
        name: 'redis',
        type: '{ ttl, connection, lockTtl, lockWait }',
        description:
          "L3: its own TTL, its own Redis (default fox.configure({ cacheRedis }) or FOX_CACHE_REDIS; never the dfox queue's), the fill lock's TTL (10s) and how long other processes wait for it (5s).",
      },
      {
        name: 'l2',
        type: 'CacheL2 | false',
        description: "A synchronous second level of your own (instead of the 'sqlite' tier).",
      },
    ],
    example: `import { fox } from '@fox/sdk';

interface Product {
  id: string;
  name: string;
}

export const product = fox(
  {
    mode: 'sfox',
    cache: { ttl: '30s', staleWhileRevalidate: '5m', max: 10_000, key: (id: string) => id },
  },
  async function product(id: string): Promise<Product> {
    return { id, name: 'fox' };
  },
);
`,
    verification: {
      level: 'property-tested',
      evidence: [
        `${T}cache.test.ts`,
        `${T}chain.test.ts`,
        `${T}cache-tiers.test.ts`,
        `${T}cache-tiers-redis.test.ts`,
      ],
    },
    related: ['fallback', 'hedge'],
  },
];
