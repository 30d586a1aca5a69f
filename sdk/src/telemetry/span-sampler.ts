/**
 * Adaptive span sampling: each task may record at most `perTaskPerSecond` spans per one-second
 * window, and the whole process at most `totalPerSecond`. Within a window the admission
 * probability is set from the previous window's demand (cap / calls seen), so a hot task's
 * samples spread over the whole second instead of being the first N calls of it.
 *
 * The hot path is {@link SpanGate.admit}: a few field compares and increments; random draws
 * happen only on admitted calls (they set how many calls to skip until the next one). It never reads a clock: the window is advanced by the
 * exporter's interval timer through {@link SpanSampler.advance}, so a blocked event loop keeps
 * the current window, which only makes sampling stricter.
 */

export interface SpanSamplerOptions {
  /** Spans per task per second. Default 50. */
  perTaskPerSecond?: number;
  /** Spans per second across all tasks. Default 1000. */
  totalPerSecond?: number;
  /** Random source in [0, 1) (tests inject a seeded one). Default `Math.random`. */
  random?: () => number;
}

/** The per-task admission check the runtime keeps next to each task. */
export interface SpanGate {
  /** Whether this call should be recorded as a span (decide at call start, keep on the call). */
  admit(): boolean;
  /**
   * For a call whose parent was admitted: records it too, so sampled trees are complete. Only
   * the process-wide cap applies (the parent already paid the per-task one).
   */
  admitChild(): boolean;
}

interface Window {
  epoch: number;
  /** Spans admitted in the current window, all tasks. */
  taken: number;
}

class TaskGate implements SpanGate {
  private epoch = -1;
  private seen = 0;
  private taken = 0;
  /** Admission probability for the current window. */
  private p = 1;
  /** Calls still to skip before the next admission (random, mean 1/p − 1). */
  private skip = 0;

  constructor(
    private readonly window: Window,
    private readonly sampler: SpanSampler,
  ) {}

  admit(): boolean {
    const w = this.window;
    if (this.epoch !== w.epoch) this.roll(w.epoch);
    this.seen++;
    const s = this.sampler;
    // Over the cap, calls are skipped in random runs of mean 1/p between admissions: one
    // random draw per admitted call instead of one per call.
    if (this.skip > 0 || this.taken >= s.perTask || w.taken >= s.total) {
      if (this.skip > 0) this.skip--;
      s.sampledOut++;
      return false;
    }
    if (this.p < 1) this.skip = Math.floor(s.random() * (2 / this.p - 1));
    this.taken++;
    w.taken++;
    return true;
  }

  admitChild(): boolean {
    const w = this.window;
    const s = this.sampler;
    if (w.taken >= s.total) {
      s.sampledOut++;
      return false;
    }
    w.taken++;
    return true;
  }

  private roll(epoch: number): void {
    // Demand of the last window (if it was the previous one) predicts this one's.
    const demand = epoch === this.epoch + 1 ? this.seen : 0;
    this.p = demand > this.sampler.perTask ? this.sampler.perTask / demand : 1;
    this.epoch = epoch;
    this.seen = 0;
    this.taken = 0;
    this.skip = this.p < 1 ? Math.floor(this.sampler.random() / this.p) : 0;
  }
}

export class SpanSampler {
  readonly perTask: number;
  readonly total: number;
  readonly random: () => number;
  /** Calls not recorded because of the caps (cumulative). */
  sampledOut = 0;
  private readonly window: Window = { epoch: 0, taken: 0 };
  private readonly gates = new Map<string, TaskGate>();

  constructor(options: SpanSamplerOptions = {}) {
    this.perTask = positive(options.perTaskPerSecond ?? 50, 'perTaskPerSecond');
    this.total = positive(options.totalPerSecond ?? 1000, 'totalPerSecond');
    this.random = options.random ?? Math.random;
  }

  /** The gate of a task (one per task id; cache it on the task). */
  gate(taskId: string): SpanGate {
    let g = this.gates.get(taskId);
    if (!g) this.gates.set(taskId, (g = new TaskGate(this.window, this)));
    return g;
  }

  /** Starts the next one-second window. Called by the exporter's timer. */
  advance(): void {
    this.window.epoch++;
    this.window.taken = 0;
  }
}

function positive(n: number, name: string): number {
  if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`${name} must be a finite number ≥ 0`);
  return n;
}
