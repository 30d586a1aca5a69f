/**
 * A recorded interval of a task's traffic: when each call arrived and what each of its attempts
 * did below the policies (latency, outcome, error code). The sandbox replays it; the store keeps
 * it (as JSON, capped) so screening works after a restart.
 */
import { z } from 'zod';

/** Latency of an attempt that never answered before it was cut (a timeout, a lost hedge). */
export const CENSORED = -1;

export const RecordedAttemptSchema = z.object({
  /** ms; {@link CENSORED} when the attempt was cut before it answered. */
  ms: z.number().min(-1),
  ok: z.boolean(),
  /** Error code of a failed attempt (`ECONNRESET`, `FOX_TIMEOUT`, …). */
  code: z.string().max(64).optional(),
});
export type RecordedAttempt = z.infer<typeof RecordedAttemptSchema>;

export const RecordedCallSchema = z.object({
  /** Arrival, ms from the interval's start. */
  at: z.number().min(0),
  attempts: z.array(RecordedAttemptSchema).max(100),
  /** What the caller saw. */
  ok: z.boolean(),
  ms: z.number().min(0),
  code: z.string().max(64).optional(),
});
export type RecordedCall = z.infer<typeof RecordedCallSchema>;

export const RecordedIntervalSchema = z.object({
  taskId: z.string().min(1),
  /** Wall-clock start, epoch ms. */
  startedAt: z.number(),
  durationMs: z.number().min(0),
  calls: z.array(RecordedCallSchema),
});
export type RecordedInterval = z.infer<typeof RecordedIntervalSchema>;

/** Outcome counts of an interval as the callers saw them. */
export interface OutcomeCounts {
  calls: number;
  ok: number;
  failed: number;
  attempts: number;
  byCode: Record<string, number>;
}

export function countOutcomes(calls: readonly RecordedCall[]): OutcomeCounts {
  const out: OutcomeCounts = { calls: 0, ok: 0, failed: 0, attempts: 0, byCode: {} };
  for (const c of calls) {
    out.calls++;
    out.attempts += c.attempts.length;
    if (c.ok) out.ok++;
    else {
      out.failed++;
      const code = c.code ?? 'ERROR';
      out.byCode[code] = (out.byCode[code] ?? 0) + 1;
    }
  }
  return out;
}
