import type { ConcreteMode } from '../../protocol/modes.js';

/** Thresholds of auto's decision; the defaults follow the tfox round trip measured here. */
export interface AutoThresholds {
  /** Calls per decision window. */
  window: number;
  /**
   * Promote to tfox when a call holds the loop this long in one synchronous segment (median
   * over the window): ≈10× a worker round trip, so dispatch costs at most ~10% of the work.
   */
  promoteMs: number;
  /** Leave tfox only below this (hysteresis band between the two). */
  demoteMs: number;
  /**
   * Go to mfox when calls spend at least this share of their wall time waiting… (and keep a
   * blocking call out of tfox when it would spend this share of its time waiting there).
   */
  ioShare: number;
  /** …and at least this many calls are in flight at once… */
  fanOut: number;
  /**
   * …and the wait is at least this long. Shorter "waits" are microtask queueing among calls
   * that are all in flight at once, not I/O: a lane would bound nothing.
   */
  minWaitMs: number;
  /** Leave mfox when fan-out falls below this or the I/O share below `ioShare - 0.2`. */
  leaveFanOut: number;
  /**
   * Go to mfox only while the event loop is busy (utilization, measured without auto's own
   * sampling) less than this share of the time; leave it at `leaveLoopSaturated`. A lane helps
   * when the downstream is what calls wait for. A loop busy ≥ 3/4 of the time is itself the
   * bottleneck — a ready callback then waits for it about ρ/(1−ρ) = 3× its own length — and a
   * lane would only queue calls whose I/O handling the loop overlaps (or, on a machine that
   * gives the thread no core, whose waits are for the CPU).
   */
  loopSaturated: number;
  leaveLoopSaturated: number;
  /** Consecutive windows that must agree before a switch. */
  confirm: number;
  /** Windows to wait after a switch before the next one. */
  cooldown: number;
  /** Sampled windows that must agree with the mode in use before sampling stops. */
  settle: number;
  /**
   * Re-evaluate (sample again) after this many watched windows even without drift; the interval
   * doubles each time a re-evaluation confirms the mode, up to `recheckMax`.
   */
  recheckEvery: number;
  recheckMax: number;
  /**
   * A switch to tfox stays only if the task's busy time per call is at most this much worse (a
   * share) than in the mode it replaced: not zero, because tfox also frees the loop for
   * everything else on it. A switch to sfox or wfox must not make its callers wait longer.
   */
  trialMargin: number;
  /**
   * A switch to mfox stays only if the task's busy time per call is at least this much better
   * (a share): a lane frees nothing else, and a trial measures only a few bursts. Over the corpus
   * (scripts/bench/auto.ts) trials by callers' mean latency mostly favoured the lane: on the
   * tasks it clearly helps their mfox/sfox ratio came out 5–10% below that of the same modes'
   * run times, and tasks whose calls the loop bounds, not the backend (mfox 0–20% slower), were
   * kept in a lane on ratios of 0.89–0.98, while clear gains measured 0.59–0.81.
   */
  laneGain: number;
}

export const DEFAULT_THRESHOLDS: AutoThresholds = {
  window: 16,
  promoteMs: 0.5,
  demoteMs: 0.15,
  ioShare: 0.8,
  fanOut: 8,
  minWaitMs: 0.1,
  leaveFanOut: 4,
  loopSaturated: 0.75,
  leaveLoopSaturated: 0.9,
  confirm: 2,
  cooldown: 2,
  settle: 2,
  recheckEvery: 32,
  recheckMax: 1024,
  trialMargin: 0.1,
  laneGain: 0.1,
};

/**
 * Which part of a call made auto promote it to tfox. A worker only reports the time to the
 * first await, so a task promoted for compute after an await cannot be judged by that there.
 */
export type PromotionCause = 'first-segment' | 'later-segment';

/** The evidence a decision needs (one window's medians). */
export interface DecisionEvidence {
  /** Entry to first await, ms (in tfox: measured in the worker). */
  syncMs: number;
  /** Longest synchronous segment of a call, ms (= syncMs when not measured). */
  longestMs: number;
  /** Wall time of a call, ms (in tfox: in the worker, without queueing here). */
  wallMs: number;
  /** Share of a call's wall time spent off the loop, 0..1. */
  ioShare: number;
  /** Time a call spends off the loop, ms. */
  waitMs: number;
  /** Calls in flight at once. */
  fanOut: number;
  /**
   * Share of its own time a call would spend waiting in a worker, 0..1: its wait that the loop
   * work of its task does not explain, against that wait plus its compute (0: not measured).
   */
  workerWaitShare: number;
  /** Event-loop utilization in the mode in use, 0..1. */
  loopBusy: number;
}

/** What the decision knows besides the window. */
export interface DecisionContext {
  current: ConcreteMode;
  /** The task cannot run in a worker. */
  ineligible: boolean;
  /** Why the task is in tfox, when it is. */
  promotedBy: PromotionCause;
}

/**
 * The mode one window of evidence points to. The rule, in order:
 *
 * 1. **tfox** when a call holds the loop ≥ `promoteMs` in one go (before its first await or
 *    after any) — it blocks everything else on the loop that long, and moving it costs ≤10% in
 *    dispatch. Except when, with many in flight (`fanOut`), a call would spend most of its time
 *    in a worker waiting (`workerWaitShare` ≥ `ioShare`): tfox runs a call start to finish on a
 *    worker, and a pool keeps few calls per thread because it is sized for compute, so waiting
 *    calls would hold its slots while the rest queue. Bounding their I/O is the better move.
 * 2. **mfox** when calls mostly wait (`ioShare`), for real (`minWaitMs`), with many in flight
 *    (`fanOut`), and the loop is not saturated (`loopSaturated`): an I/O lane bounds what they
 *    put on the downstream, which is then what they wait for.
 * 3. **sfox** otherwise: light calls run best where they are.
 *
 * Leaving a mode takes weaker evidence than entering it (demoteMs < promoteMs; to leave mfox a
 * lower I/O share and fan-out, or a busier loop), so a workload near a threshold keeps its mode.
 */
export function targetMode(
  e: DecisionEvidence,
  t: AutoThresholds,
  ctx: DecisionContext,
): ConcreteMode {
  const inMfox = ctx.current === 'mfox';
  const manyInFlight = e.fanOut >= (inMfox ? t.leaveFanOut : t.fanOut);
  const ioBound =
    manyInFlight && e.ioShare >= (inMfox ? t.ioShare - 0.2 : t.ioShare) && e.waitMs >= t.minWaitMs;
  if (!ctx.ineligible) {
    if (ctx.current === 'tfox') {
      // In a worker only the first segment is measured: a task promoted for compute after an
      // await stays until whole calls have become trivial there.
      const stay =
        ctx.promotedBy === 'later-segment' ? e.wallMs >= t.demoteMs : e.syncMs >= t.demoteMs;
      if (stay) return 'tfox';
    } else if (e.longestMs >= t.promoteMs && !(manyInFlight && e.workerWaitShare >= t.ioShare)) {
      return 'tfox';
    }
  }
  const loopFree = e.loopBusy < (inMfox ? t.leaveLoopSaturated : t.loopSaturated);
  return ioBound && loopFree ? 'mfox' : 'sfox';
}
