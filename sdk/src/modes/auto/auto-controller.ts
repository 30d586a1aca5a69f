import { performance } from 'node:perf_hooks';
import type { ConcreteMode } from '../../protocol/modes.js';
import type { Task } from '../../task/task.js';
import { newProposalId, propose, type AutoEvidence } from './proposals.js';

/** Thresholds of auto's decision; the defaults follow the tfox round trip measured here. */
export interface AutoThresholds {
  /** Calls per decision window. */
  window: number;
  /** Promote to tfox when the median call holds the loop at least this long (≈10× a round trip). */
  promoteMs: number;
  /** Leave tfox only below this (hysteresis band between the two). */
  demoteMs: number;
  /** Go to mfox when I/O is at least this share of the wall time… */
  ioShare: number;
  /** …and at least this many calls are in flight at once. */
  fanOut: number;
  /** Leave mfox when fan-out falls below this or I/O share below `ioShare - 0.2`. */
  leaveFanOut: number;
  /**
   * Loop evidence: when the event loop is ≥ 90% busy over a window, the loop time per call of
   * the window (ELU × window / calls) counts as CPU if at least this many ms. It catches CPU
   * that runs after the first await, which the entry-to-first-await measure cannot see.
   */
  loopCpuMs: number;
  /** Consecutive windows that must agree before a switch. */
  confirm: number;
  /** Windows to wait after a switch before the next one. */
  cooldown: number;
}

export const DEFAULT_THRESHOLDS: AutoThresholds = {
  window: 16,
  promoteMs: 0.5,
  demoteMs: 0.15,
  ioShare: 0.8,
  fanOut: 8,
  leaveFanOut: 4,
  loopCpuMs: 3,
  confirm: 2,
  cooldown: 2,
};

/**
 * AUTO for one task: measures each call (the synchronous time it holds the event loop, its wall
 * time, how many calls are in flight), decides per window of calls, and proposes a strategy
 * change only when `confirm` windows in a row agree and the previous switch has cooled down —
 * so a workload near a threshold does not make the task flap.
 */
export class AutoController {
  private syncs: number[] = [];
  private walls: number[] = [];
  private peakFanOut = 0;
  private candidate: ConcreteMode | undefined;
  private agree = 0;
  private cool = 0;
  private switching = false;
  private task: Task | undefined;
  private windowStart = performance.now();
  private elu = performance.eventLoopUtilization();
  /** What got the task into tfox: its own blocking time, or a saturated loop. */
  private promotedBy: 'sync' | 'loop' = 'sync';
  private nextPromotedBy: 'sync' | 'loop' = 'sync';
  readonly thresholds: AutoThresholds;
  /** Why the task cannot go to tfox (instance method, unknown module), if it cannot. */
  ineligible: string | undefined;

  constructor(thresholds: Partial<AutoThresholds> = {}) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  }

  attach(task: Task, ineligible: string | undefined): void {
    this.task = task;
    this.ineligible = ineligible;
  }

  /** Wraps the user's function so calls on this thread are measured. */
  wrap(
    fn: (this: unknown, ...args: unknown[]) => unknown,
  ): (this: unknown, ...args: unknown[]) => unknown {
    const record = (sync: number, wall: number, fanOut: number): void =>
      this.record(sync, wall, fanOut);
    const inFlight = (): number => this.task?.metrics.inFlight ?? 1;
    return function measured(this: unknown, ...args: unknown[]): unknown {
      const fanOut = inFlight();
      const t0 = performance.now();
      const result = fn.apply(this, args);
      const sync = performance.now() - t0;
      if (
        result !== null &&
        typeof result === 'object' &&
        typeof (result as Promise<unknown>).then === 'function'
      ) {
        const done = (): void => record(sync, performance.now() - t0, fanOut);
        (result as Promise<unknown>).then(done, done);
      } else record(sync, sync, fanOut);
      return result;
    };
  }

  /** Timing of a call that ran in a worker (the pool reports it). */
  readonly recordWorker = (syncMs: number, wallMs: number): void => {
    this.record(syncMs, wallMs, this.task?.metrics.inFlight ?? 1);
  };

  record(syncMs: number, wallMs: number, fanOut: number): void {
    this.syncs.push(syncMs);
    this.walls.push(wallMs);
    if (fanOut > this.peakFanOut) this.peakFanOut = fanOut;
    if (this.syncs.length >= this.thresholds.window) this.decide();
  }

  /** The mode the evidence of one window points to, given the mode in use now. */
  target(
    current: ConcreteMode,
    e: Required<Pick<AutoEvidence, 'syncMs' | 'ioShare' | 'fanOut'>> & { wallMs?: number },
  ): ConcreteMode {
    const t = this.thresholds;
    // Promoted on loop evidence, the worker cannot tell CPU after an await from I/O: leave
    // tfox only when whole calls have become trivial there.
    const stay =
      this.promotedBy === 'loop' ? (e.wallMs ?? e.syncMs) >= t.demoteMs : e.syncMs >= t.demoteMs;
    const cpuBound = current === 'tfox' ? stay : e.syncMs >= t.promoteMs;
    if (cpuBound && !this.ineligible) return 'tfox';
    const ioBound =
      current === 'mfox'
        ? e.ioShare >= t.ioShare - 0.2 && e.fanOut >= t.leaveFanOut
        : e.ioShare >= t.ioShare && e.fanOut >= t.fanOut;
    if (ioBound) return 'mfox';
    return 'sfox';
  }

  private decide(): void {
    const task = this.task;
    const syncMs = median(this.syncs);
    const wallMs = median(this.walls);
    const fanOut = this.peakFanOut;
    const calls = this.syncs.length;
    const now = performance.now();
    const elu = performance.eventLoopUtilization(this.elu).utilization;
    const loopPerCall = elu >= 0.9 ? (elu * (now - this.windowStart)) / calls : 0;
    this.windowStart = now;
    this.elu = performance.eventLoopUtilization();
    this.syncs = [];
    this.walls = [];
    this.peakFanOut = 0;
    if (!task || this.switching) return;
    if (this.cool > 0) {
      this.cool--;
      return;
    }
    const current = task.current;
    const byLoop =
      current !== 'tfox' && loopPerCall >= this.thresholds.loopCpuMs && loopPerCall > syncMs;
    const cpuMs = byLoop ? loopPerCall : syncMs;
    const ioShare = wallMs > 0 ? Math.max(0, (wallMs - Math.min(cpuMs, wallMs)) / wallMs) : 0;
    const want = this.target(current, { syncMs: cpuMs, wallMs, ioShare, fanOut });
    if (want === 'tfox' && current !== 'tfox') this.nextPromotedBy = byLoop ? 'loop' : 'sync';
    if (want === current) {
      this.candidate = undefined;
      this.agree = 0;
      return;
    }
    if (want === this.candidate) this.agree++;
    else {
      this.candidate = want;
      this.agree = 1;
    }
    if (this.agree < this.thresholds.confirm) return;
    this.candidate = undefined;
    this.agree = 0;
    const evidence: AutoEvidence = { source: 'runtime', syncMs, wallMs, ioShare, fanOut, calls };
    void this.switchTo(want, reasonFor(want, evidence), evidence);
  }

  /** Proposes `to` (through the proposal hook) and, if applied, cools down. */
  async switchTo(to: ConcreteMode, reason: string, evidence: AutoEvidence): Promise<void> {
    const task = this.task;
    if (!task || task.current === to || this.switching) return;
    this.switching = true;
    try {
      const decision = await propose(
        {
          id: newProposalId(),
          kind: 'strategy-change',
          taskId: task.id,
          from: task.current,
          to,
          at: Date.now(),
          reason,
          evidence,
        },
        () => task.setStrategy(to),
      );
      if (decision === 'applied') {
        this.cool = this.thresholds.cooldown;
        if (to === 'tfox') this.promotedBy = this.nextPromotedBy;
      }
    } catch (err) {
      // The strategy could not be created (e.g. the module cannot be found): stop trying it.
      if (to === 'tfox') this.ineligible = err instanceof Error ? err.message : String(err);
    } finally {
      this.switching = false;
    }
  }

  /** Forgets the evidence (benchmarks re-run a task from scratch). */
  reset(): void {
    this.syncs = [];
    this.walls = [];
    this.peakFanOut = 0;
    this.candidate = undefined;
    this.agree = 0;
    this.cool = 0;
    this.windowStart = performance.now();
    this.elu = performance.eventLoopUtilization();
  }
}

function reasonFor(to: ConcreteMode, e: AutoEvidence): string {
  const f = (n: number | undefined) => (n ?? 0).toFixed(3);
  switch (to) {
    case 'tfox':
      return `calls hold the event loop ${f(e.syncMs)} ms (median): move them to worker threads`;
    case 'mfox':
      return `calls wait on I/O ${Math.round((e.ioShare ?? 0) * 100)}% of the time with ${e.fanOut} in flight: bound them in an I/O lane`;
    default:
      return `calls are light (${f(e.syncMs)} ms on the loop, ${f(e.wallMs)} ms wall): run them directly`;
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const controllers = new WeakMap<Task, AutoController>();

export function autoControllerOf(task: Task): AutoController | undefined {
  return controllers.get(task);
}

export function registerAutoController(task: Task, controller: AutoController): void {
  controllers.set(task, controller);
}
