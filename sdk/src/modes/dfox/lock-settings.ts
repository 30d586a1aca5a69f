/**
 * BullMQ worker lock settings derived from the task's timeout.
 *
 * A worker holds a lock on each active job and renews it every `lockDuration / 2`; when the
 * worker dies (kill -9) the lock expires after `lockDuration`, and the next stalled check (every
 * `stalledInterval`) moves the job back to waiting for another worker. So a caller whose worker
 * died waits at most `lockDuration + stalledInterval` plus the run on the next worker. BullMQ's
 * defaults (30 s each) mean up to a minute; a task with a timeout should recover well within it:
 * a quarter of the timeout each, so recovery fits in about half of the caller's budget.
 */
export interface LockSettings {
  lockDuration: number;
  stalledInterval: number;
}

/** BullMQ's own defaults, for tasks without a timeout. */
export const BULLMQ_DEFAULT_LOCKS: LockSettings = { lockDuration: 30_000, stalledInterval: 30_000 };

/** Below this a busy event loop (a CPU-bound job) could miss a renewal and lose its lock. */
const MIN_LOCK_MS = 1000;
const MIN_STALLED_MS = 500;

/** Lock duration and stalled-check interval for a job timeout (ms), or BullMQ's defaults. */
export function lockSettingsFor(timeoutMs: number | undefined): LockSettings {
  if (timeoutMs === undefined) return BULLMQ_DEFAULT_LOCKS;
  const quarter = Math.floor(timeoutMs / 4);
  return {
    lockDuration: clamp(quarter, MIN_LOCK_MS, BULLMQ_DEFAULT_LOCKS.lockDuration),
    stalledInterval: clamp(quarter, MIN_STALLED_MS, BULLMQ_DEFAULT_LOCKS.stalledInterval),
  };
}

/** What a caller waits in the worst case before a dead worker's job runs elsewhere. */
export function worstCaseRecoveryMs(settings: LockSettings): number {
  return settings.lockDuration + settings.stalledInterval;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
