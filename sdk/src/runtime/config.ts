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
