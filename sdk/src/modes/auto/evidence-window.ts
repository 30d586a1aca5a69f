import type { LoopCounters } from './auto-state.js';
import { autoSources, utilization, type AutoSources } from './auto-sources.js';
import type { LoopTally } from './loop-time.js';

/** One measured call. */
export interface CallTiming {
  /** Time from entry to the first await (or return), ms. */
  syncMs: number;
  /** Wall time from entry to settlement, ms. */
  wallMs: number;
  /** Calls of the task in flight when this one started (itself included). */
  fanOut: number;
  /**
   * Whole-call loop time and longest synchronous segment, ms — only for sampled calls on this
   * thread (see loop-time.ts); undefined otherwise.
   */
  busyMs?: number;
  longestMs?: number;
  /** Synchronous segments of a sampled call; 1 means it never waited on anything. */
  segments?: number;
  /**
   * Loop time of all the task's sampled calls (this one's included) during this call's life,
   * ms: while the loop ran them, this call could not have run either.
   */
  ownLoopMs?: number;
  /**
   * Sampled calls: the task's calls started and busy time when this one started, so a run of
   * them tells the task's busy time per call over it (see express-run.ts).
   */
  started?: StartMark;
  /**
   * Sampled only to look for a run of strong calls (express-run.ts), outside any window, so the
   * window still measures the loop without the hooks.
   */
  probe?: boolean;
}

/** The task's calls started and busy time at one moment (see TaskMetrics.busyTime). */
export interface StartMark {
  calls: number;
  busyMs: number;
}

/** What one window of calls shows; medians resist the odd GC pause or preemption. */
export interface WindowEvidence {
  calls: number;
  /** Median entry-to-first-await time, ms. */
  syncMs: number;
  /** Median wall time, ms. */
  wallMs: number;
  /** Median whole-call loop time, ms (= syncMs when no call was sampled). */
  busyMs: number;
  /** Median longest synchronous segment, ms (= syncMs when no call was sampled). */
  longestMs: number;
  /**
   * Median share of a call's wall time spent waiting, 0..1. A sampled call that ran in a single
   * segment never awaited anything pending, so it waited on nothing: the rest of its wall time
   * was its result queueing behind other calls' work, not I/O.
   */
  ioShare: number;
  /** Median time a call spends waiting (as above), ms. */
  waitMs: number;
  /**
   * Median share of its own time a call would spend waiting if it ran alone, as on a worker:
   * `w / (w + busy)` where `w` is its wall time minus the loop time of its task's calls during
   * its life (a lower bound of its I/O wait: with many calls in flight, most of a call's wall
   * time on a busy loop is spent behind its siblings' compute). 0 when not sampled.
   */
  workerWaitShare: number;
  /** Most calls in flight at once. */
  fanOut: number;
  /**
   * Share of the window's wall-clock time the loop spent running this task's sampled calls,
   * 0..1 (0 when not sampled). Near 1, the calls mostly wait for each other's compute; low, what
   * they wait for is elsewhere (I/O).
   */
  loopShare: number;
  /**
   * Event-loop utilization over the window (`performance.eventLoopUtilization()`), 0..1: how
   * much of the time the loop was running anything rather than waiting for I/O. Unlike the
   * task's loop share it counts other work on the loop, and time the thread was preempted.
   */
  loopBusy: number;
  /** Whether every call of the window was sampled, so busy/longest/loopShare are measured. */
  sampled: boolean;
  /**
   * Whether no call of the window was sampled and sampling stayed off throughout, so the async
   * hooks' own cost did not inflate `loopBusy`.
   */
  unhooked: boolean;
  /** The loop's utilization counters when the window started (to measure longer spans). */
  eluAtStart: LoopCounters;
}

/** Collects the calls of one decision window. */
export class EvidenceWindow {
  /** Loop time of the task's sampled calls, segment by segment (loop-time.ts adds to it). */
  readonly tally: LoopTally = { ms: 0 };
  private tallyAtStart = 0;
  private readonly syncs: number[] = [];
  private readonly walls: number[] = [];
  private readonly busies: number[] = [];
  private readonly longests: number[] = [];
  private readonly waits: number[] = [];
  private readonly waitShares: number[] = [];
  private readonly workerWaitShares: number[] = [];
  private peakFanOut = 0;
  private startedAt: number;
  private elu: LoopCounters;
  private hooked = false;
  /** Calls measured elsewhere (see {@link skip}). */
  private skipped = 0;

  /** Calls of the window so far, the skipped ones included: it closes at a count of them. */
  get calls(): number {
    return this.syncs.length + this.skipped;
  }

  /**
   * A call that counts toward the window's size but not its evidence (a probed call, measured
   * for a run of strong calls): windows keep closing every so many calls, so a run of probes
   * does not shift where they close in a burst of calls.
   */
  skip(): void {
    this.skipped++;
  }

  /** Sampling was on at some point of this window. */
  markHooked(): void {
    this.hooked = true;
  }

  add(t: CallTiming): void {
    this.syncs.push(t.syncMs);
    this.walls.push(t.wallMs);
    let wait = Math.max(0, t.wallMs - Math.min(t.busyMs ?? t.syncMs, t.wallMs));
    if (t.busyMs !== undefined) {
      this.busies.push(t.busyMs);
      this.longests.push(t.longestMs ?? t.busyMs);
      if (t.segments === 1) wait = 0;
      const alone = wait === 0 ? 0 : Math.max(0, t.wallMs - (t.ownLoopMs ?? t.busyMs));
      this.workerWaitShares.push(alone > 0 ? alone / (alone + t.busyMs) : 0);
    }
    this.waits.push(wait);
    this.waitShares.push(t.wallMs > 0 ? wait / t.wallMs : 0);
    if (t.fanOut > this.peakFanOut) this.peakFanOut = t.fanOut;
  }

  /** The window's evidence; starts the next window. */
  constructor(private readonly sources: AutoSources = autoSources()) {
    this.startedAt = sources.clock.now();
    this.elu = sources.loop();
  }

  close(now = this.sources.clock.now()): WindowEvidence {
    const calls = this.syncs.length;
    const sampledCalls = this.busies.length;
    const sampled = sampledCalls === calls && calls > 0;
    const syncMs = median(this.syncs);
    const wallMs = median(this.walls);
    const busyMs = sampled ? median(this.busies) : syncMs;
    const longestMs = sampled ? median(this.longests) : syncMs;
    const elapsed = now - this.startedAt;
    // Counted as segments run, not as calls complete: with many calls in flight, completions
    // come in bursts, and a window of them would span only part of their loop time.
    const loopShare =
      sampled && elapsed > 0 ? Math.min(1, (this.tally.ms - this.tallyAtStart) / elapsed) : 0;
    const loopBusy = utilization(this.elu, this.sources.loop());
    const waitMs = median(this.waits);
    const workerWaitShare = sampled ? median(this.workerWaitShares) : 0;
    const ioShare = median(this.waitShares);
    const evidence: WindowEvidence = {
      calls,
      syncMs,
      wallMs,
      busyMs,
      longestMs,
      ioShare,
      waitMs,
      workerWaitShare,
      fanOut: this.peakFanOut,
      loopShare,
      loopBusy,
      sampled,
      unhooked: !this.hooked && sampledCalls === 0,
      eluAtStart: this.elu,
    };
    this.reset(now);
    return evidence;
  }

  reset(now = this.sources.clock.now()): void {
    // Emptied in place: an express run resets its window on every call that breaks it, and no
    // array leaves the window (close() takes medians of copies).
    this.syncs.length = 0;
    this.walls.length = 0;
    this.busies.length = 0;
    this.longests.length = 0;
    this.waits.length = 0;
    this.waitShares.length = 0;
    this.workerWaitShares.length = 0;
    this.peakFanOut = 0;
    this.startedAt = now;
    this.elu = this.sources.loop();
    this.hooked = false;
    this.skipped = 0;
    this.tallyAtStart = this.tally.ms;
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
