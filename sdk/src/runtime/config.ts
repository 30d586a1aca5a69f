import { z } from 'zod';
import { parseOptions } from '../errors/parse-options.js';

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
    /** How often telemetry is sent to the profiler, in ms (default 1000). */
    profilerIntervalMs: z.number().int().min(50).max(60_000).optional(),
    /**
     * Track the current call across awaits with AsyncLocalStorage (exact span trees, at a cost
     * on every await in the process on Node 20). Default: only while spans are being collected.
     */
    asyncContext: z.boolean().optional(),
  })
  .strict();

export type RuntimeConfig = z.input<typeof RuntimeConfigSchema>;

export function parseRuntimeConfig(input: unknown): z.output<typeof RuntimeConfigSchema> {
  return parseOptions(RuntimeConfigSchema, input ?? {});
}
