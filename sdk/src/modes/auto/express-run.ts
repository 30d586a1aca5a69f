import { autoSources, type AutoSources } from './auto-sources.js';
import {
  EvidenceWindow,
  type CallTiming,
  type StartMark,
  type WindowEvidence,
} from './evidence-window.js';

/**
 * Calls at least this many times the promotion threshold may decide by a run (below, the
 * windows decide, as they always did): 4 ms for the default 0.5 ms, where a run takes 8 calls,
 * half a window. A workload that alternates between 2 ms and light calls every window must
 * not be promoted by either path (see auto.test.ts, "does not flap").
 */
export const EXPRESS_MIN_STRENGTH = 8;
/**
 * A run of `k` calls each `m`× the threshold decides once `k · log2(m)² ≥` this. Call times
 * spread roughly log-normally around their median; if that median were at the threshold, with
 * a spread of σ doublings, `k` calls each log2(m) doublings above it would come together with
 * probability ≈ e^(−k·log2(m)²/2σ²) ≤ e^(−32/σ²): 3·10⁻⁴ even for σ = 2 (calls routinely 4×
 * off their median). So 8 calls at 8×, 6 at 10×, 4 at 16–24×, 3 from 25× on.
 */
const EVIDENCE = 64;
/** No run is shorter: one or two long calls among light ones (a cold start, a GC) never decide. */
const MIN_RUN = 3;
/**
 * The calls of a run are within this factor of each other. A run that shrinks more (JIT
 * warm-up, a cache filling) or swings is not one workload yet, and the run's pace is what the
 * trial after the switch compares the new mode with.
 */
const SPREAD = 2;

/** Calls a run needs when its weakest call holds the loop `strength`× the threshold. */
export function callsNeeded(strength: number): number {
  if (!(strength >= EXPRESS_MIN_STRENGTH)) return Infinity;
  return Math.max(MIN_RUN, Math.ceil(EVIDENCE / Math.log2(strength) ** 2));
}

/** A run that decided: its calls' evidence, and where it started. */
export interface ExpressDecision {
  evidence: WindowEvidence;
  /** The weakest call of the run, as a multiple of the threshold. */
  strength: number;
  /** The earliest start among the run's calls (undefined when a call carried no mark). */
  since: StartMark | undefined;
}

/**
 * The fast path to tfox: consecutive sampled calls that each hold the loop far beyond the
 * threshold decide after fewer calls the stronger they are (see {@link callsNeeded}), instead
 * of the windows' baseline and two agreeing windows (~80 calls). Only calls whose verdict
 * cannot depend on their neighbours count: calls made one at a time, or calls that never
 * waited (with many in flight, the tfox rule also weighs how long a call would wait in a
 * worker, which a single call does not tell; see decision-rule.ts).
 */
export class ExpressRun {
  private readonly calls: EvidenceWindow;
  private lo = Infinity;
  private hi = 0;
  private since: StartMark | undefined;
  private marked = true;

  /** How long a call must hold the loop to be strong: EXPRESS_MIN_STRENGTH× the threshold. */
  readonly strongMs: number;

  /** @param promoteMs the promotion threshold (AutoThresholds.promoteMs) */
  constructor(
    private readonly promoteMs: number,
    sources: AutoSources = autoSources(),
  ) {
    this.strongMs = EXPRESS_MIN_STRENGTH * promoteMs;
    this.calls = new EvidenceWindow(sources);
  }

  /** Whether a sampled call counts towards a run by itself. */
  strong(t: CallTiming): boolean {
    return (
      t.longestMs !== undefined &&
      (t.fanOut <= 1 || t.segments === 1) &&
      t.longestMs >= this.strongMs
    );
  }

  /**
   * Adds a sampled call: a call that is not {@link strong} ends the run. Returns the run once
   * it is long enough (the run then starts afresh).
   */
  add(t: CallTiming): ExpressDecision | undefined {
    if (!this.strong(t)) {
      this.reset();
      return undefined;
    }
    const ms = t.longestMs!;
    if (Math.max(this.hi, ms) > SPREAD * Math.min(this.lo, ms)) this.reset();
    this.lo = Math.min(this.lo, ms);
    this.hi = Math.max(this.hi, ms);
    this.calls.add(t);
    const started = t.started;
    if (!started) this.marked = false;
    else if (!this.since || started.calls < this.since.calls) this.since = started;
    const strength = this.lo / this.promoteMs;
    if (this.calls.calls < callsNeeded(strength)) return undefined;
    const decision = {
      evidence: this.calls.close(),
      strength,
      since: this.marked ? this.since : undefined,
    };
    this.reset();
    return decision;
  }

  /** Calls in the run so far. */
  get length(): number {
    return this.calls.calls;
  }

  /** Forgets the run. */
  reset(): void {
    this.calls.reset();
    this.lo = Infinity;
    this.hi = 0;
    this.since = undefined;
    this.marked = true;
  }
}
