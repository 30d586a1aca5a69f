import { z } from 'zod';
import { parseOptions } from '../errors/parse-options.js';

const RunOptionsShape = {
  concurrency: z.number().int().min(1).optional(),
  continueOnError: z.boolean().optional(),
  durable: z.boolean().optional(),
};

/** Options of `fox.flow(name, options)`. Unknown keys are errors. */
export const FlowOptionsSchema = z.object(RunOptionsShape).strict();

/** Options of `flow.run(input, options)`. */
export const FlowRunOptionsSchema = z
  .object({
    ...RunOptionsShape,
    signal: z
      .custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal')
      .optional(),
  })
  .strict();

/** What a run uses once defaults and per-run options are merged. */
export interface ResolvedRunOptions {
  readonly concurrency: number;
  readonly continueOnError: boolean;
  readonly durable: boolean;
  readonly signal: AbortSignal | undefined;
}

/** Validates `fox.flow(name, options)`; throws FoxConfigError naming the option. */
export function parseFlowOptions(input: unknown): z.output<typeof FlowOptionsSchema> {
  return parseOptions(FlowOptionsSchema, input ?? {});
}

/** Validates one run's options over the flow's defaults. */
export function resolveRunOptions(
  defaults: z.output<typeof FlowOptionsSchema>,
  input: unknown,
): ResolvedRunOptions {
  const run = input === undefined ? {} : parseOptions(FlowRunOptionsSchema, input);
  return {
    concurrency: run.concurrency ?? defaults.concurrency ?? Infinity,
    continueOnError: run.continueOnError ?? defaults.continueOnError ?? false,
    durable: run.durable ?? defaults.durable ?? false,
    signal: run.signal,
  };
}
