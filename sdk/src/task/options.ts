import { z } from 'zod';
import { FoxConfigError } from '../errors/errors.js';
import { parseOptions } from '../errors/parse-options.js';
import { QueueOptionSchema } from '../modes/dfox/queue-option.js';
import { LimiterOptionsSchema } from '../modes/wfox/limiter-options.js';
import { PolicyOptionsShape } from '../policies/options.js';
import { TuneOptionSchema } from '../policies/tune-options.js';
import { ModeSchema, type ConcreteMode, type Mode } from '../protocol/modes.js';
import { isValueSchema, type ValueSchema } from './schema-check.js';

/** Modes this version of the sdk can run. The rest of the matrix is rejected, not remapped. */
export const AVAILABLE_MODES: readonly ConcreteMode[] = ['sfox', 'wfox', 'tfox', 'mfox', 'dfox'];

const ValueSchemaOption = z.custom<ValueSchema>(isValueSchema, {
  message: 'expected a zod schema (or any Standard Schema object)',
});

/** Task ids are printed, stored and used as keys: keep them single-line and reasonably short. */
const TaskIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(300, 'must be at most 300 characters')
  .regex(/^[^\s]+$/, 'must not contain whitespace');

const CoreOptionsShape = {
  mode: ModeSchema.optional(),
  id: TaskIdSchema.optional(),
  input: z.union([ValueSchemaOption, z.array(ValueSchemaOption.optional())]).optional(),
  output: ValueSchemaOption.optional(),
  /** Scheduling priority of a call in a queue (higher first): a number or a function of the args. */
  priority: z
    .union([
      z.number().int().min(-1000).max(1000),
      z.custom<(...args: never[]) => number>((v) => typeof v === 'function', {
        message: 'expected a number or a function',
      }),
    ])
    .optional(),
  limiter: LimiterOptionsSchema.optional(),
  /** mfox: the I/O lane the calls run in (default `io`; see `fox.configure({ lanes })`). */
  lane: z.string().min(1).optional(),
  /**
   * tfox: the module a worker imports to find the function (`import.meta.url`, `__filename`
   * or a path); default: the module that made the decoration. Bundled single-file apps: every
   * worker would import the whole app, so build the tfox tasks as a second esbuild entry point
   * (e.g. `dist/workers.js`) and pass `{ module: new URL('./workers.js', import.meta.url).href }`;
   * the bundle keeps calling the tasks, workers import only that entry. A module that never
   * finishes loading fails calls with FoxWorkerError('load-timeout') instead of hanging.
   */
  module: z.string().min(1).optional(),
  /**
   * Let the tuner experiment on this task's policy parameters (guardian-gated): `true`, or
   * bounds per policy (`{ timeout: { min: 50, max: 2000 }, retry: false }`; `false` pins one).
   */
  tune: TuneOptionSchema.optional(),
  /** dfox: the BullMQ queue the calls become jobs on (a name, or `{ name, attempts, backoff, jobId }`). */
  queue: QueueOptionSchema.optional(),
};

/** The full schema of `fox()` / `@fox()` options. Unknown keys are errors (typos must not pass). */
export const FoxOptionsSchema = z.object({ ...CoreOptionsShape, ...PolicyOptionsShape }).strict();

/** Options accepted by `fox()` and `@fox()`. */
export type FoxOptions = z.input<typeof FoxOptionsSchema>;
export type ResolvedOptions = z.output<typeof FoxOptionsSchema>;

/**
 * Validates options once, at decoration. Throws FoxConfigError naming the first bad option's
 * path; never lets an invalid option reach a call.
 */
export function resolveOptions(
  options: unknown,
  taskHint?: string,
): ResolvedOptions & { mode: Mode } {
  const resolved = parseOptions(FoxOptionsSchema, options ?? {}, [], taskHint);
  const mode: Mode = resolved.mode ?? 'sfox';
  if (mode !== 'auto' && !AVAILABLE_MODES.includes(mode)) {
    throw new FoxConfigError(
      ['mode'],
      `mode '${mode}' is not available in this version of @fox/sdk (available: ${AVAILABLE_MODES.join(', ')})`,
      taskHint,
    );
  }
  if (resolved.limiter && mode !== 'wfox' && mode !== 'auto') {
    throw new FoxConfigError(
      ['limiter'],
      `only applies to mode 'wfox' (mode is '${mode}')`,
      taskHint,
    );
  }
  if (resolved.queue !== undefined && mode !== 'dfox') {
    throw new FoxConfigError(
      ['queue'],
      `only applies to mode 'dfox' (mode is '${mode}')`,
      taskHint,
    );
  }
  if (mode === 'dfox' && resolved.queue === undefined) {
    throw new FoxConfigError(
      ['queue'],
      "mode 'dfox' needs a queue: { mode: 'dfox', queue: 'images' }",
      taskHint,
    );
  }
  // Caller-side and queue-side retries multiply; a task gets one or the other, never both silently.
  if ((resolved.queue?.attempts ?? 1) > 1 && resolved.retry !== undefined) {
    throw new FoxConfigError(
      ['queue', 'attempts'],
      'queue-side retries (BullMQ attempts) and the retry policy would both retry; keep one',
      taskHint,
    );
  }
  for (const key of ['lane', 'module'] as const) {
    const owner = key === 'lane' ? 'mfox' : 'tfox';
    // auto may pick either, so it accepts both.
    if (resolved[key] !== undefined && mode !== owner && mode !== 'auto') {
      throw new FoxConfigError(
        [key],
        `only applies to mode '${owner}' (mode is '${mode}')`,
        taskHint,
      );
    }
  }
  return { ...resolved, mode };
}
