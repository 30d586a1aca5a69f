import { z } from 'zod';
import { parseOptions } from '../errors/parse-options.js';
import { GuardianPolicySchema } from '../guardian/policy.js';
import { NotificationsOptionsSchema } from '../guardian/notifications/options.js';
import { DfoxConfigSchema, RedisOptionSchema } from '../modes/dfox/dfox-config.js';
import { LanesOptionsSchema } from '../modes/mfox/lane-options.js';
import { TunerConfigSchema } from '../tuner/tuner-options.js';
import { PoolOptionsSchema } from '../modes/tfox/pool-options.js';
import { CacheRedisConnectionSchema } from '../policies/options.js';
import { looksLikeOpenTelemetryApi, type OpenTelemetryApi } from '../telemetry/open-telemetry.js';
import { MetricsOptionSchema } from '../telemetry/metrics/metrics-options.js';

/** Options of `fox.configure()`. Every key is optional; unknown keys are errors. */
export const RuntimeConfigSchema = z
  .object({
    /** Project root for task ids (default: nearest package.json of each source file). */
    root: z.string().min(1).optional(),
    /**
     * Persist telemetry aggregates to SQLite: `true` for `.fox/fox.db` under the working
     * directory, a path (or `':memory:'`), or `false` (default) for none.
     */
    store: z.union([z.boolean(), z.string().min(1)]).optional(),
    /** How often aggregates are written to the store, in ms. */
    flushIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
    /**
     * Stream telemetry to a Fox profiler (`ws://127.0.0.1:PORT?token=…`), or `false` for none.
     * Default: the `FOX_PROFILER` environment variable (set by `fox profile` and the editor).
     */
    profiler: z
      .union([
        z.literal(false),
        z.string().regex(/^wss?:\/\/[^\s]+$/, 'expected a ws:// or wss:// URL'),
      ])
      .optional(),
    /**
     * Who decides runtime changes proposed by Fox itself (auto strategy switches, tuner, chaos):
     * auto-approve, deny, or N-of-M named approvers. Active while a store is open.
     */
    guardian: GuardianPolicySchema.optional(),
    /**
     * The tuner (off by default): `true` to let it experiment on every task's policy parameters,
     * or its settings (`{ canary: 0.1, alpha: 0.05, cooldownMs, ... }`). Adoptions go through the
     * guardian, so it needs the store: without one, configure throws FoxConfigError naming `tune`.
     */
    tune: TunerConfigSchema.optional(),
    /**
     * Webhooks for the guardian's proposal events (created, decided, applied, rolled back):
     * generic JSON, Slack or Teams, HMAC-signed, retried off the decision path. Outbound only.
     */
    notifications: NotificationsOptionsSchema.optional(),
    /** How often telemetry is sent to the profiler, in ms (default 1000). */
    profilerIntervalMs: z.number().int().min(50).max(60_000).optional(),
    /**
     * Track the current call across awaits with AsyncLocalStorage: `true` always (exact
     * `fox.context()` after any await, at a cost on every await in the process on Node 20),
     * `'sampled'` only while calls sampled as spans run, within 100 ms per second (complete
     * sampled span trees at a small share of the cost), `false` never. Default: `'sampled'`
     * while a profiler is connected, else `false`.
     */
    asyncContext: z.union([z.boolean(), z.literal('sampled')]).optional(),
    /**
     * Make fox calls OpenTelemetry spans once the program registers a tracer provider with
     * `@opentelemetry/api`: `true` (default; the program's copy of the API is found from the
     * working directory or the entry script), `false`, or `{ api }` to hand over the module
     * (bundled programs).
     */
    openTelemetry: z
      .union(
        [
          z.boolean(),
          z
            .object({
              api: z.custom<OpenTelemetryApi>(
                looksLikeOpenTelemetryApi,
                'expected the @opentelemetry/api module',
              ),
            })
            .strict(),
        ],
        { error: 'expected true, false or { api: <the @opentelemetry/api module> }' },
      )
      .optional(),
    /** The tfox worker pool: threads, idle timeout, resource limits (see pool-options.ts). */
    pool: PoolOptionsSchema.optional(),
    /** mfox lane limits by lane name (`fs`, `net`, `io`, `origin:<origin>`, `originDefault`). */
    lanes: LanesOptionsSchema.optional(),
    /**
     * Serve Fox's metrics in the Prometheus text format: `{ port, host?, token?, path? }`
     * (loopback and `/metrics` by default; with a token, scrapes need `Authorization: Bearer`),
     * or `false` to stop. See docs/metrics.md for the metrics.
     */
    metrics: MetricsOptionSchema.optional(),
    /**
     * The Redis of dfox queues: a `redis://` / `rediss://` URL or ioredis options (TLS, auth:
     * passed through). Default: the `FOX_REDIS` environment variable.
     */
    redis: RedisOptionSchema.optional(),
    /** dfox limits: payload size, how long a call waits for an unreachable Redis, key prefix. */
    dfox: DfoxConfigSchema.optional(),
    /**
     * The Redis of the result cache's `redis` tier (L3): a URL or ioredis options. Not the
     * queue's `redis`: BullMQ needs `maxmemory-policy noeviction`, a cache wants `allkeys-lru`
     * (a warning says so when it has `noeviction`). Default: `FOX_CACHE_REDIS`.
     */
    cacheRedis: CacheRedisConnectionSchema.optional(),
  })
  .strict();

export type RuntimeConfig = z.input<typeof RuntimeConfigSchema>;

export function parseRuntimeConfig(input: unknown): z.output<typeof RuntimeConfigSchema> {
  return parseOptions(RuntimeConfigSchema, input ?? {});
}
