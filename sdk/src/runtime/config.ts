import { z } from 'zod';
import { parseOptions } from '../errors/parse-options.js';
import { GuardianPolicySchema } from '../guardian/policy.js';
import { LanesOptionsSchema } from '../modes/mfox/lane-options.js';
import { PoolOptionsSchema } from '../modes/tfox/pool-options.js';
import { looksLikeOpenTelemetryApi, type OpenTelemetryApi } from '../telemetry/open-telemetry.js';

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
  })
  .strict();

export type RuntimeConfig = z.input<typeof RuntimeConfigSchema>;

export function parseRuntimeConfig(input: unknown): z.output<typeof RuntimeConfigSchema> {
  return parseOptions(RuntimeConfigSchema, input ?? {});
}
