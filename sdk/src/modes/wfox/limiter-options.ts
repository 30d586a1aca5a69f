import { z } from 'zod';
import { parseOptions } from '../../errors/parse-options.js';

/** Limit algorithms a WaterFox limiter can run. */
export const LimiterAlgorithmSchema = z.enum(['gradient', 'vegas', 'aimd', 'fixed']);
export type LimiterAlgorithmName = z.infer<typeof LimiterAlgorithmSchema>;

const ms = (what: string) =>
  z.number().finite().positive(`${what} must be a positive number of ms`);
const fraction = z.number().min(0).max(1);
const count = z.number().int().min(1);

/**
 * Parameters of the gradient algorithm (the default). The baseline is the no-load RTT,
 * re-measured every `probeInterval` (± `probeJitter`) by pinning concurrency to `probeLimit`
 * until `probeSamples` calls have completed; see gradient-limit.ts for why.
 */
export const GradientOptionsSchema = z
  .object({
    /** How much slower than the baseline a window may be before the limit shrinks (≥ 1). */
    tolerance: z.number().min(1).max(10).default(1.1),
    /** Weight of each new limit estimate (1 = no smoothing). */
    smoothing: z.number().gt(0).max(1).default(0.5),
    /** Length of a sample window, ms. The limit is recomputed once per window. */
    window: ms('window').default(100),
    /** Fewest completed calls a window needs before it counts. */
    minSamples: count.default(10),
    /** RTT percentile of a window (and of a probe) compared against the baseline. */
    percentile: z.number().gt(0).max(1).default(0.5),
    /** Time between two baseline probes, ms. */
    probeInterval: ms('probeInterval').default(60_000),
    /** Random extra delay of each probe, as a fraction of `probeInterval`. */
    probeJitter: fraction.default(0.15),
    /** Concurrency the limit is pinned to while probing. */
    probeLimit: count.default(3),
    /** Calls a probe measures before it ends. */
    probeSamples: count.default(25),
  })
  .strict();

/** Parameters of the vegas algorithm: keep between `alpha` and `beta` calls queued at the backend. */
export const VegasOptionsSchema = z
  .object({
    /** Below this estimated backend queue (× log10(limit), at least ×1) the limit grows. */
    alpha: z.number().positive().default(3),
    /** Above this estimated backend queue (× log10(limit), at least ×1) the limit shrinks. */
    beta: z.number().positive().default(6),
    smoothing: z.number().gt(0).max(1).default(1),
    window: ms('window').default(100),
    minSamples: count.default(10),
    percentile: z.number().gt(0).max(1).default(0.5),
    probeInterval: ms('probeInterval').default(60_000),
    probeJitter: fraction.default(0.15),
    probeLimit: count.default(3),
    probeSamples: count.default(25),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.alpha >= v.beta) {
      ctx.addIssue({ code: 'custom', path: ['beta'], message: 'must be greater than alpha' });
    }
  });

/** Parameters of the aimd algorithm. */
export const AimdOptionsSchema = z
  .object({
    /** Multiplier applied to the limit on a drop (0 < backoff < 1). */
    backoff: z.number().gt(0).lt(1).default(0.9),
    /** A call slower than this (ms) counts as dropped. */
    timeout: ms('timeout').default(1_000),
  })
  .strict();

const DEFAULT_INITIAL = 20;

/**
 * The `limiter` option of `@fox({ mode: 'wfox', limiter: { … } })`. Unknown keys are errors;
 * `min ≤ initial ≤ max` is checked with the offending path. `initial` defaults to 20 clamped
 * into `[min, max]`.
 */
export const LimiterOptionsSchema = z
  .object({
    algorithm: LimiterAlgorithmSchema.default('gradient'),
    /** Starting limit; configuring it on a running limiter resets the limit to it. */
    initial: count.optional(),
    min: count.default(1),
    max: count.default(1000),
    /** Most calls that may wait for admission; 0 rejects at once when the limit is reached. */
    queue: z.number().int().min(0).default(1000),
    /** Longest a call may wait in the queue, ms; unset = no limit. */
    queueTimeout: ms('queueTimeout').optional(),
    gradient: GradientOptionsSchema.prefault({}),
    vegas: VegasOptionsSchema.prefault({}),
    aimd: AimdOptionsSchema.prefault({}),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.min > v.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `must be ≤ max (${v.max})` });
    }
    if (v.initial !== undefined && v.initial < v.min) {
      ctx.addIssue({ code: 'custom', path: ['initial'], message: `must be ≥ min (${v.min})` });
    }
    if (v.initial !== undefined && v.initial > v.max) {
      ctx.addIssue({ code: 'custom', path: ['initial'], message: `must be ≤ max (${v.max})` });
    }
  });

/** What users write for `limiter` (every key optional). */
export type LimiterOptions = z.input<typeof LimiterOptionsSchema>;
/** The validated option with defaults filled in. */
export type ResolvedLimiterOptions = z.output<typeof LimiterOptionsSchema>;
export type GradientOptions = z.output<typeof GradientOptionsSchema>;
export type VegasOptions = z.output<typeof VegasOptionsSchema>;
export type AimdOptions = z.output<typeof AimdOptionsSchema>;

/** The starting limit: `initial`, or 20 clamped into `[min, max]`. */
export function initialLimit(options: ResolvedLimiterOptions): number {
  return options.initial ?? Math.min(options.max, Math.max(options.min, DEFAULT_INITIAL));
}

/**
 * Validates a `limiter` option. Throws FoxConfigError whose path starts with `limiter` and names
 * the offending key (the unknown key itself for typos).
 */
export function parseLimiterOptions(input: unknown, taskId?: string): ResolvedLimiterOptions {
  return parseOptions(LimiterOptionsSchema, input ?? {}, ['limiter'], taskId);
}
