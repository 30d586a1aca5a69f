/**
 * `fox.configure({ tune })`: turns the tuner on for every task that has tunable policies (or
 * only for tasks with their own `tune` option when this is left out), and its settings.
 */
import { z } from 'zod';

const TunerObject = z.strictObject({
  /** Share of calls the candidate runs on during a canary (default 0.1, at most 0.5). */
  canary: z.number().gt(0).max(0.5, 'the canary may take at most half the calls').default(0.1),
  /** False-adoption rate of the sequential test, over all its looks. */
  alpha: z.number().gt(0).max(0.2).default(0.05),
  /** Chance of stopping a candidate that is no worse as harmful (stops clear harm early). */
  harmAlpha: z.number().gt(0).max(0.5).default(0.1),
  /** Candidate calls at which a canary ends without a clear win. */
  maxPerArm: z.number().int().min(20).max(1_000_000).default(2000),
  /** Calls per arm before the first look. */
  minPerArm: z.number().int().min(10).max(100_000).default(50),
  /** Calls recorded per interval (what the rules read and the sandbox replays). */
  recordCalls: z.number().int().min(20).max(100_000).default(500),
  /** Calls watched after an adoption before it is kept or rolled back. */
  watchCalls: z.number().int().min(20).max(1_000_000).default(500),
  /** Pause between experiments on one task, ms. */
  cooldownMs: z.number().int().min(0).max(86_400_000).default(60_000),
  /** How often the tuner checks progress, ms. */
  tickMs: z.number().int().min(10).max(60_000).default(1000),
  /** Latency objective for goodput, ms (default: none; every success counts). */
  objectiveMs: z.number().positive().optional(),
  /** Seeds mutation and canary routing, so a run can be replayed. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** Impact the tuner's proposals carry for the guardian's policy. */
  impact: z.enum(['low', 'medium', 'high']).default('medium'),
  /** Tune every task with policies (true), or only tasks with their own `tune` option. */
  allTasks: z.boolean().default(true),
});

export const TunerConfigSchema = z.union([z.boolean(), TunerObject], {
  error: 'expected true, false or { canary, alpha, cooldownMs, ... }',
});
export type TunerConfigInput = z.input<typeof TunerConfigSchema>;
export type TunerSettings = z.output<typeof TunerObject>;

/** The settings `tune: true` means. */
export function tunerSettings(input: TunerConfigInput): TunerSettings {
  return TunerObject.parse(input === true || input === false ? {} : input);
}
