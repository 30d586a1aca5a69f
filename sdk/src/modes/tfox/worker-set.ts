import type { Clock } from '../../clock/clock.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { ThreadExitReason } from './worker-failure.js';
import {
  exitReasonOf,
  spawnWorker,
  stopWorker,
  type RetireReason,
  type WorkerListeners,
  type WorkerSlot,
} from './worker-lifecycle.js';

/**
 * The pool's live worker threads: which take calls, which are ready (their imports done), and
 * each one's keep-alive and idle stop. The pool decides when to start and retire workers and
 * what to do with their calls; this set keeps the records, counts and timers right.
 */
export class WorkerSet {
  /** Live workers, in start order (draining ones included until they exit). */
  readonly slots: WorkerSlot[] = [];
  private startedCount = 0;
  private readonly exitCounts: Record<ThreadExitReason, number> = {
    idle: 0,
    recycled: 0,
    closed: 0,
    terminated: 0,
    crashed: 0,
    exited: 0,
  };

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly tsxApi: string | undefined,
    /** Timers for the idle stop (tests pass a fake). */
    private readonly clock: Clock,
    private readonly listeners: WorkerListeners,
  ) {}

  /** Workers started since the pool was created. */
  get started(): number {
    return this.startedCount;
  }

  /** Workers gone since the pool was created, by why (a copy). */
  exited(): Record<ThreadExitReason, number> {
    return { ...this.exitCounts };
  }

  /** Calls on a worker now. */
  inFlight(): number {
    let n = 0;
    for (const s of this.slots) n += s.jobs.size;
    return n;
  }

  /** Workers taking new calls (not draining or stopping). */
  accepting(): number {
    let n = 0;
    for (const s of this.slots) if (!s.draining) n++;
    return n;
  }

  /**
   * Whether a worker that takes calls has finished its imports. While one has, calls never go
   * to a worker still importing (they would wait for the import there): they wait in the pool
   * for a ready one, and the importing worker joins when it is done.
   */
  anyReady(): boolean {
    for (const s of this.slots) if (!s.draining && s.loading === 0) return true;
    return false;
  }

  /** Workers taking calls that are still importing task modules. */
  importing(): number {
    let n = 0;
    for (const s of this.slots) if (!s.draining && s.loading > 0) n++;
    return n;
  }

  /** A worker with no calls that takes new ones (one still importing only if none is ready). */
  idle(): WorkerSlot | undefined {
    let importing: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (s.jobs.size > 0 || s.draining) continue;
      if (s.loading === 0) return s;
      importing ??= s;
    }
    return importing && !this.anyReady() ? importing : undefined;
  }

  /** Starts a worker. Until it has calls (see `wake`), it never keeps the process alive. */
  spawn(): WorkerSlot {
    const slot = spawnWorker(this.options, this.tsxApi, this.listeners);
    this.slots.push(slot);
    this.startedCount++;
    return slot;
  }

  /** A worker is about to get calls: keep the process alive for them, cancel its idle stop. */
  wake(slot: WorkerSlot): void {
    if (!slot.refed) {
      slot.refed = true;
      slot.worker.ref();
    }
    if (slot.idleTimer) {
      this.clock.clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
  }

  /**
   * A worker has no calls: it stops keeping the process alive; a recycled one stops now, and
   * one above `minThreads` stops after `idleTimeoutMs` unless it gets calls before.
   */
  rest(slot: WorkerSlot): void {
    if (slot.refed) {
      slot.refed = false;
      slot.worker.unref();
    }
    if (slot.draining) {
      if (slot.retired === 'recycled') stopWorker(slot, 'recycled');
      return;
    }
    if (!slot.idleTimer && this.accepting() > this.options.minThreads) {
      slot.idleTimer = this.clock.setTimeout(() => {
        slot.idleTimer = undefined;
        if (slot.jobs.size === 0 && !slot.draining && this.accepting() > this.options.minThreads)
          stopWorker(slot, 'idle');
      }, this.options.idleTimeoutMs);
      slot.idleTimer.unref?.();
    }
  }

  /** Terminates a worker; `why` also tells the calls still running on it what happened. */
  stop(slot: WorkerSlot, why: RetireReason): void {
    stopWorker(slot, why);
  }

  /**
   * A worker exited: drops its record and its timers (its idle stop, its calls' cancel grace
   * periods) and counts it. Its calls are left for the pool to move or fail.
   */
  remove(slot: WorkerSlot): ThreadExitReason {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.idleTimer) this.clock.clearTimeout(slot.idleTimer);
    for (const job of slot.jobs.values())
      if (job.graceTimer) this.clock.clearTimeout(job.graceTimer);
    const reason = exitReasonOf(slot);
    this.exitCounts[reason]++;
    return reason;
  }
}
