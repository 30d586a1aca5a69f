/**
 * The per-task `tune` option: whether the tuner may experiment on this task's policy
 * parameters, and within which bounds. Lives with the policy options because its keys are the
 * policies' (`tune: { timeout: { min: 50, max: 2000 }, retry: false }`); the tuner reads it.
 *
 * A key set to `false` pins that policy: the tuner never proposes a change to it. A key left out
 * uses the tuner's default bounds.
 */
import { z } from 'zod';
import { parseDuration } from './options.js';

function bound(kind: 'ms' | 'count' | 'rate') {
  if (kind === 'rate') return z.number().gt(0).max(1);
  if (kind === 'count') return z.number().int().min(1).max(100);
  return z.custom<number | string>().transform((v, ctx): number => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < 0) {
      ctx.addIssue({ code: 'custom', message: "expected milliseconds or a duration like '2s'" });
      return z.NEVER;
    }
    return ms;
  });
}

function range(kind: 'ms' | 'count' | 'rate') {
  const obj = z
    .strictObject({ min: bound(kind).optional(), max: bound(kind).optional() })
    .superRefine((o, ctx) => {
      if (o.min !== undefined && o.max !== undefined && o.min > o.max) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: `must be >= min (${o.min})` });
      }
    });
  return z.union([z.literal(false), z.literal(true), obj]);
}

/** Bounds of one tunable parameter; `false` pins it, `true` takes the default bounds. */
export type TuneRange = false | true | { min?: number; max?: number };

const TuneObject = z.strictObject({
  /** Timeout in ms. */
  timeout: range('ms').optional(),
  /** Retry attempts (the first included). */
  retry: range('count').optional(),
  /** Hedge delay in ms. */
  hedge: range('ms').optional(),
  /** Breaker threshold: consecutive failures, or the failure rate for a rate breaker. */
  breaker: range('rate').or(range('count')).optional(),
});

/** `tune: true` lets the tuner change every policy parameter it knows within default bounds. */
export const TuneOptionSchema = z.union([z.boolean(), TuneObject], {
  error: 'expected true, false or { timeout, retry, hedge, breaker } with { min, max } or false',
});
export type TuneOptionInput = z.input<typeof TuneOptionSchema>;
export type TuneOption = z.output<typeof TuneOptionSchema>;
