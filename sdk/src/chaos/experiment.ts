import { z } from 'zod';
import { FoxError } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';

const Ms = z.number().nonnegative().max(3_600_000);

const LatencyFaultSchema = z
  .object({
    type: z.literal('latency'),
    /** Fixed delay. */
    ms: Ms.optional(),
    /** Uniform in [min, max]. */
    range: z
      .object({ min: Ms, max: Ms })
      .strict()
      .refine((r) => r.min <= r.max, 'min > max')
      .optional(),
    /** Drawn from a distribution (clamped at 0). */
    distribution: z
      .object({
        kind: z.enum(['normal', 'exponential', 'lognormal']),
        mean: Ms,
        stddev: Ms.default(0),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (f) => [f.ms, f.range, f.distribution].filter((x) => x !== undefined).length === 1,
    'latency needs exactly one of ms, range, distribution',
  );

export const FaultSchema = z.union([
  LatencyFaultSchema,
  z
    .object({
      type: z.literal('error'),
      message: z.string().max(1024).default('chaos: injected error'),
      /** A Fox code raises a FoxError; any other imitates an outside failure with that code. */
      code: z.string().max(64).default('FOX_CHAOS_INJECTED'),
      name: z.string().max(64).default('ChaosError'),
    })
    .strict(),
  z
    .object({
      type: z.literal('timeout'),
      /** How long the call hangs before it fails with FOX_TIMEOUT. */
      ms: Ms.default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('cpu'),
      /** Event-loop blocking per affected call. */
      ms: z.number().positive().max(10_000),
      /**
       * Blocks in slices of this many ms with a macrotask between them, so an abort lands within
       * one slice; `sliceMs >= ms` blocks in one piece.
       */
      sliceMs: z.number().positive().max(10_000).default(10),
    })
    .strict(),
  z
    .object({
      type: z.literal('memory'),
      mb: z.number().positive().max(4096),
      /** How long the allocation is held. */
      holdMs: z.number().positive().max(600_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('io'),
      /** errno code of the failed I/O (mfox tasks). */
      code: z
        .enum(['EIO', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOSPC', 'EACCES', 'EPIPE'])
        .default('EIO'),
      syscall: z.string().max(32).default('read'),
    })
    .strict(),
]);
export type Fault = z.output<typeof FaultSchema>;

export const TargetSchema = z
  .object({
    /** Task ids or globs (`src/api.ts#*`, `**#resize`). */
    tasks: z.array(z.string().min(1).max(512)).min(1).max(1000),
    /** Share of matching calls that get the fault. */
    rate: z.number().min(0).max(1),
    /** Calls affected over the whole experiment, at most. */
    maxAffected: z.number().int().positive().optional(),
    /** Faults in progress at once, at most. */
    maxConcurrent: z.number().int().positive().optional(),
    /** Inject only in this window, relative to the start of the injection phase. */
    window: z
      .object({ afterMs: Ms.default(0), forMs: Ms })
      .strict()
      .optional(),
  })
  .strict();
export type Target = z.output<typeof TargetSchema>;

export const ProbeSchema = z
  .object({
    /**
     * `errorRate` (0..1) of the matching tasks since injection began, `p99` latency (ms) of
     * the matching tasks, `eventLoopDelayP99` (ms) of the process, `heapUsedMb`.
     */
    metric: z.enum(['errorRate', 'p99', 'eventLoopDelayP99', 'heapUsedMb']),
    /** Task id or glob for task metrics (default: every targeted task). */
    task: z.string().min(1).max(512).optional(),
    /** Breach when the metric exceeds this. */
    max: z.number().nonnegative(),
    /** Task metrics are judged only after this many calls. */
    minCalls: z.number().int().nonnegative().default(20),
  })
  .strict();
export type Probe = z.output<typeof ProbeSchema>;

/** A chaos experiment: steady-state hypothesis, method, and the phases' lengths. */
export const ExperimentSchema = z
  .object({
    name: z.string().min(1).max(128),
    description: z.string().max(4096).optional(),
    /** RNG seed; the same seed replays the same injection sequence. */
    seed: z.number().int().min(0).max(0xffffffff),
    impact: z.enum(['low', 'medium', 'high']).default('medium'),
    hypothesis: z
      .object({
        probes: z.array(ProbeSchema).max(32),
        /** How often the probes run. */
        intervalMs: z.number().int().min(1).max(60_000).default(10),
      })
      .strict(),
    method: z
      .array(z.object({ fault: FaultSchema, target: TargetSchema }).strict())
      .min(1)
      .max(64),
    /** Measure without injecting first. */
    baselineMs: Ms.default(1000),
    /** Injection phase length. */
    durationMs: z.number().positive().max(3_600_000),
    /** Measure after injection stops. */
    recoveryMs: Ms.default(1000),
  })
  .strict();
export type ExperimentInput = z.input<typeof ExperimentSchema>;
export type Experiment = z.output<typeof ExperimentSchema>;

/** An experiment is invalid (or cannot run here); `issues` lists every problem found. */
export class ChaosExperimentError extends FoxError {
  declare readonly code: 'FOX_CHAOS_INVALID';
  readonly issues: string[];

  constructor(message: string, issues: string[] = []) {
    super('FOX_CHAOS_INVALID', message);
    this.issues = issues;
  }
}
registerFoxErrorClass(ChaosExperimentError, 'FOX_CHAOS_INVALID');

/** Validates an experiment; throws {@link ChaosExperimentError} listing every issue. */
export function parseExperiment(input: unknown): Experiment {
  const r = ExperimentSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(experiment)'}: ${i.message}`);
  throw new ChaosExperimentError(`invalid chaos experiment: ${issues[0] ?? ''}`, issues);
}
