import type { TransferListItem } from 'node:worker_threads';
import { systemClock, type Clock } from '../../clock/clock.js';
import { FoxShutdownError } from '../../errors/errors.js';
import { Emitter, type FoxEvent } from '../../events/emitter.js';
import { FoxDataCloneError } from '../errors.js';
import {
  callsPerWorker,
  dispatchWindow,
  nextServiceMs,
  pickWorker,
  shouldGrow,
} from './dispatch-plan.js';
import {
  appendCall,
  callsMessage,
  cancelMessage,
  firstUncloneable,
  forEachResult,
  functionDefOf,
  oneCallMessage,
  setDefs,
} from './message-codec.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { PoolJob, WorkerFunction } from './pool-job.js';
import { CallStatus, ToPool, type FunctionDef, type ToPoolMessage } from './protocol.js';
import { outcomeError, type ThreadExit, type ThreadExitReason } from './worker-failure.js';
import { takeOrphans, type WorkerListeners, type WorkerSlot } from './worker-lifecycle.js';
import { WorkerSet } from './worker-set.js';

/**
 * The tfox worker pool, built on `worker_threads` directly rather than on piscina. Why: the
 * dispatch target (≤ 5 µs per no-op call saturated) needs several calls in flight per worker
 * and all calls submitted in one tick grouped into one message per worker; piscina sends one
 * task per message and (by default) one task per worker, which measured 35 µs per call here.
 * piscina stays the peer in `scripts/bench/tfox.ts`.
 *
 * Scheduling: a call submitted while a worker is idle and nothing is queued is posted at once
 * (a lone call pays no batching delay). Otherwise calls queue in the pool and a microtask after
 * the first submit of a tick hands the queue out to the least-loaded workers, one message each.
 * Results come back batched the same way. How many calls a worker holds at once adapts to their
 * length (see `cap`).
 *
 * Imports: a worker imports the modules of the tasks it will run as soon as it starts (those of
 * queued calls, and those `prewarm` was given), and reports each import's end. While any worker
 * has finished its imports, calls go only to such workers: a call sent to a worker still
 * importing would wait there for the import, while a ready worker may free up first.
 *
 * The arithmetic of dispatch is in dispatch-plan.ts, the wire format in message-codec.ts (over
 * protocol.ts), the workers' records, keep-alive and idle stops in worker-set.ts, starting one
 * and what becomes of its calls when it is gone in worker-lifecycle.ts; this class holds the
 * queue and decides.
 */

/** What `ThreadPool.stats()` reports. */
export interface PoolStats {
  /** Worker threads alive, including ones finishing their calls before they stop. */
  threads: number;
  /** Worker threads taking new calls. */
  accepting: number;
  /** Calls waiting for a worker. */
  queued: number;
  /** Calls on a worker now. */
  inFlight: number;
  /** Worker threads started since the pool was created. */
  started: number;
  /** Worker threads gone since the pool was created, by why. */
  exited: Record<ThreadExitReason, number>;
  /** Imports of a task's module in a worker that have finished (loaded or failed). */
  modulesLoaded: number;
  /** Calls that reached a worker before their module had loaded there, and waited for it. */
  callsWaitedForModule: number;
}

/** A worker finished importing a task's module (see `ThreadPool.onModuleLoad`). */
export interface ModuleLoad {
  readonly threadId: number;
  readonly taskId: string;
  readonly ok: boolean;
  /** Calls that were waiting on the worker for this import. */
  readonly waitingCalls: number;
}

export class ThreadPool {
  private queue: PoolJob[] = [];
  private queueHead = 0;
  private flushQueued = false;
  private nextId = 1;
  private closed = false;
  /** Moving estimate of one call's service time in a worker, in ms. */
  private serviceMs = -1;
  private readonly flushBound = (): void => this.flush();
  private readonly listeners: WorkerListeners = {
    message: (slot, msg) => this.onMessage(slot, msg as ToPoolMessage),
    exit: (slot, code) => this.onExit(slot, code),
  };
  private readonly workers: WorkerSet;
  /** Results of one message are settled through this (bound once, not per message). */
  private resultSlot: WorkerSlot | undefined;
  private readonly onResult = (
    id: number,
    status: CallStatus,
    value: unknown,
    syncMs: number,
    wallMs: number,
  ): void => {
    const slot = this.resultSlot!;
    const job = slot.jobs.get(id);
    if (!job) return;
    slot.jobs.delete(id);
    this.finish(job, status, value, syncMs, wallMs);
  };
  private modulesLoaded = 0;
  private callsWaitedForModule = 0;
  /** Functions sent to workers, by index (module-load reports name them by index). */
  private readonly fns = new Map<number, WorkerFunction>();
  /** The functions prewarmed workers import as they start. */
  private readonly warmFns: WorkerFunction[] = [];
  /** Prewarm has workers left to start. */
  private warming = false;
  private warmUpQueued = false;
  private readonly threadStarted = new Emitter<{ threadId: number }>();
  private readonly threadExited = new Emitter<ThreadExit>();
  private readonly moduleLoaded = new Emitter<ModuleLoad>();
  /** A worker thread was started (at first use, to grow, or to replace one). */
  readonly onThreadStart: FoxEvent<{ threadId: number }> = this.threadStarted.event;
  /** A worker thread is gone; its calls have been failed or moved by then. */
  readonly onThreadExit: FoxEvent<ThreadExit> = this.threadExited.event;
  /** A worker finished importing a task's module (ahead of its calls, or while they waited). */
  readonly onModuleLoad: FoxEvent<ModuleLoad> = this.moduleLoaded.event;

  constructor(
    readonly options: ResolvedPoolOptions,
    tsxApi: string | undefined,
    /** Timers for the idle timeout and the cancel grace period (tests pass a fake). */
    private readonly clock: Clock = systemClock,
  ) {
    this.workers = new WorkerSet(options, tsxApi, clock, this.listeners);
  }

  get threads(): number {
    return this.workers.slots.length;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Whether a call was ever submitted (a pool only prewarmed so far may be replaced). */
  get used(): boolean {
    return this.nextId > 1;
  }

  /** Threads and calls right now, and threads started and gone so far (tests, telemetry). */
  stats(): PoolStats {
    return {
      threads: this.workers.slots.length,
      accepting: this.workers.accepting(),
      queued: this.queued,
      inFlight: this.workers.inFlight(),
      started: this.workers.started,
      exited: this.workers.exited(),
      modulesLoaded: this.modulesLoaded,
      callsWaitedForModule: this.callsWaitedForModule,
    };
  }

  /**
   * Gets workers ready before the first call: has every worker import the modules of `fns`
   * now, and starts workers up to `prewarmThreads`, one at a time: the next starts when no
   * worker is still importing, so warm-up takes one core at most, and a worker that a call
   * started (and that call) never compete with a second import. Nothing here keeps the process
   * alive; workers above `minThreads` that get no call stop after `idleTimeoutMs`.
   */
  prewarm(fns: readonly WorkerFunction[]): void {
    if (this.closed || this.options.prewarmThreads === 0) return;
    for (const fn of fns)
      if (!this.warmFns.some((f) => f.index === fn.index)) this.warmFns.push(fn);
    for (const slot of this.workers.slots) if (!slot.draining) this.define(slot, this.warmFns);
    this.warming = true;
    this.warmUp();
  }

  /** Starts the next prewarmed worker, unless there are enough or one is still importing. */
  private warmUp(): void {
    if (!this.warming || this.closed) return;
    if (this.workers.accepting() < this.options.prewarmThreads) {
      // Resumed by the import's end (onMessage) or the importing worker's exit (onExit).
      if (this.workers.importing() > 0) return;
      this.workers.rest(this.spawn());
    }
    // Done once started: workers that later stop idle are not started again.
    if (this.workers.accepting() >= this.options.prewarmThreads) this.warming = false;
  }

  /** Runs `warmUp` on the next turn of the event loop (never from inside a message handler). */
  private queueWarmUp(): void {
    if (!this.warming || this.warmUpQueued) return;
    this.warmUpQueued = true;
    setImmediate(() => {
      this.warmUpQueued = false;
      this.warmUp();
    }).unref();
  }

  /** Sends a worker the functions it does not know yet, with no call: it imports them now. */
  private define(slot: WorkerSlot, fns: readonly WorkerFunction[]): void {
    let defs: FunctionDef[] | null = null;
    for (const fn of fns) {
      if (slot.known.has(fn.index)) continue;
      slot.known.add(fn.index);
      (defs ??= []).push(this.defOf(fn));
    }
    if (!defs) return;
    slot.worker.postMessage(callsMessage(defs));
    slot.loading += defs.length;
  }

  /** A function's definition on the wire, remembered to name it in module-load reports. */
  private defOf(fn: WorkerFunction): FunctionDef {
    this.fns.set(fn.index, fn);
    return functionDefOf(fn);
  }

  /** Queues a call (or posts it at once when a worker is idle); its `settle` reports the end. */
  submit(job: PoolJob): void {
    if (this.closed) throw new FoxShutdownError();
    job.id = this.nextId++;
    // A lone call goes out now: waiting for the end of the tick to batch would only add latency.
    if (!this.flushQueued && this.queueHead === this.queue.length) {
      const idle = this.workers.idle();
      if (idle && this.sendNow(idle, job)) return;
    }
    this.queue.push(job);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  /**
   * Cancels a job. Queued: removed now. Sent: its signal in the worker aborts; the worker is
   * terminated if the job is still running after the grace period and the worker's event loop
   * did not answer (a call that blocks the loop cannot be stopped any other way).
   */
  cancel(job: PoolJob, reason: unknown): void {
    if (job.state === 'queued') {
      job.state = 'settled';
      return;
    }
    if (job.state !== 'sent') return;
    job.state = 'abandoned';
    const slot = job.slot as WorkerSlot;
    slot.worker.postMessage(cancelMessage(job.id, reason));
    job.graceTimer = this.clock.setTimeout(() => {
      if (slot.jobs.has(job.id)) this.workers.stop(slot, 'terminated');
    }, this.options.cancelGraceMs);
    job.graceTimer.unref?.();
  }

  /** What a new worker imports at once: the prewarmed functions and those of queued calls. */
  private neededFns(): WorkerFunction[] {
    const fns = this.warmFns.slice();
    const end = Math.min(this.queue.length, this.queueHead + 64);
    for (let i = this.queueHead; i < end; i++) {
      const fn = this.queue[i]!.fn;
      if (!fns.includes(fn)) fns.push(fn);
    }
    return fns;
  }

  /**
   * Posts one call to an idle worker right away. False (and the job untouched) when it could
   * not be posted: the batch path then retries it and reports a clone error asynchronously,
   * never from inside `submit`.
   */
  private sendNow(slot: WorkerSlot, job: PoolJob): boolean {
    job.state = 'sent';
    job.slot = slot;
    job.wseq = ++slot.sent;
    slot.jobs.set(job.id, job);
    const fn = job.fn;
    const isNew = !slot.known.has(fn.index);
    const defs = isNew ? [this.defOf(fn)] : null;
    const msg = oneCallMessage(defs, job.id, fn.index, job.args, job.flags);
    this.workers.wake(slot);
    try {
      slot.worker.postMessage(msg, job.transfer);
    } catch {
      slot.jobs.delete(job.id);
      slot.sent--;
      job.state = 'queued';
      job.slot = undefined;
      job.wseq = 0;
      return false;
    }
    if (isNew) {
      slot.known.add(fn.index);
      slot.loading++;
    }
    return true;
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const q = this.queue;
    let head = this.queueHead;
    if (head >= q.length) return;
    this.ensureWorkers();
    const setting = this.options.concurrentTasksPerWorker;
    const cap = callsPerWorker(setting, this.serviceMs);
    const { chunk, window, refillAt } = dispatchWindow(
      setting,
      cap,
      q.length - head,
      this.workers.accepting(),
    );
    const ready = this.workers.anyReady();
    const open = this.workers.slots.filter(
      (s) => !s.draining && s.jobs.size <= refillAt && (!ready || s.loading === 0),
    );
    const loads = open.map((s) => s.jobs.size);
    const full: [WorkerSlot, PoolJob[]][] = [];
    const batches = new Map<WorkerSlot, PoolJob[]>();
    while (head < q.length) {
      const job = q[head]!;
      if (job.state !== 'queued') {
        head++;
        continue;
      }
      const k = pickWorker(loads, window);
      if (k < 0) break;
      loads[k]!++;
      const slot = open[k]!;
      head++;
      job.state = 'sent';
      job.slot = slot;
      job.wseq = ++slot.sent;
      slot.jobs.set(job.id, job);
      let b = batches.get(slot);
      if (!b) batches.set(slot, (b = []));
      b.push(job);
      if (b.length === chunk) {
        full.push([slot, b]);
        batches.delete(slot);
      }
    }
    if (head === q.length) {
      this.queue = [];
      this.queueHead = 0;
    } else {
      this.queueHead = head;
      if (head > 1024 && head * 2 > q.length) {
        this.queue = q.slice(head);
        this.queueHead = 0;
      }
    }
    for (const [slot, jobs] of full) this.post(slot, jobs);
    for (const [slot, jobs] of batches) this.post(slot, jobs);
    if (this.queued > 0) this.maybeGrow(window);
  }

  private post(slot: WorkerSlot, jobs: PoolJob[]): void {
    let defs: FunctionDef[] | null = null;
    const msg = callsMessage(null);
    let transfer: TransferListItem[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const fn = job.fn;
      if (!slot.known.has(fn.index)) {
        slot.known.add(fn.index);
        (defs ??= []).push(this.defOf(fn));
      }
      appendCall(msg, job.id, fn.index, job.args, job.flags);
      if (job.transfer) (transfer ??= []).push(...job.transfer);
    }
    this.workers.wake(slot);
    try {
      setDefs(msg, defs);
      slot.worker.postMessage(msg, transfer);
      if (defs) slot.loading += defs.length;
    } catch (err) {
      this.recoverClone(slot, jobs, defs, err);
    }
  }

  /**
   * postMessage refused the batch: find the calls whose arguments cannot be cloned, fail each
   * with FoxDataCloneError naming the argument, and send the others again.
   */
  private recoverClone(
    slot: WorkerSlot,
    jobs: PoolJob[],
    defs: FunctionDef[] | null,
    err: unknown,
  ): void {
    slot.sent -= jobs.length;
    if (defs) for (const [index] of defs) slot.known.delete(index);
    const good: PoolJob[] = [];
    for (const job of jobs) {
      slot.jobs.delete(job.id);
      job.slot = undefined;
      job.state = 'queued';
      const bad = firstUncloneable(job.args);
      if (bad >= 0 || jobs.length === 1) {
        job.state = 'settled';
        job.settle(
          false,
          new FoxDataCloneError(job.fn.taskId, 'argument', bad >= 0 ? bad : undefined, err),
          -1,
          -1,
        );
      } else good.push(job);
    }
    if (good.length === jobs.length) {
      // No single argument is at fault (e.g. the same buffer moved twice): fail them all.
      for (const job of good) {
        job.state = 'settled';
        const error = new FoxDataCloneError(job.fn.taskId, 'argument', undefined, err);
        job.settle(false, error, -1, -1);
      }
      return;
    }
    this.queue.splice(this.queueHead, 0, ...good);
    this.flush();
  }

  /** Before handing out calls: at least one worker, and `minThreads`. */
  private ensureWorkers(): void {
    const live = this.workers.accepting();
    for (let i = live; i < Math.max(1, this.options.minThreads); i++) this.spawn();
  }

  /** After a worker left or started draining: back to `minThreads` (not more: see flush). */
  private replenish(): void {
    const live = this.workers.accepting();
    for (let i = live; i < this.options.minThreads; i++) this.spawn();
  }

  /**
   * Adds a worker when calls are still queued after a flush (every worker holds a message
   * beyond the one it runs) and the pool may grow.
   */
  private maybeGrow(window: number): void {
    const grow = shouldGrow({
      accepting: this.workers.accepting(),
      maxThreads: this.options.maxThreads,
      importing: this.workers.importing(),
      anyReady: this.workers.anyReady(),
      queued: this.queued,
      window,
    });
    if (!grow) return;
    this.spawn();
    this.flush();
  }

  private spawn(): WorkerSlot {
    const slot = this.workers.spawn();
    // Imports start now, before any call reaches it (the calls' own definitions then are known).
    this.define(slot, this.neededFns());
    this.threadStarted.fire({ threadId: slot.threadId });
    return slot;
  }

  private onMessage(slot: WorkerSlot, msg: ToPoolMessage): void {
    switch (msg[0]) {
      case ToPool.Results: {
        this.resultSlot = slot;
        forEachResult(msg, this.onResult);
        this.resultSlot = undefined;
        this.serviceMs = nextServiceMs(this.serviceMs, msg[1], msg[2]);
        if (slot.jobs.size === 0) this.workers.rest(slot);
        if (this.queued > 0 && !this.flushQueued) this.flush();
        return;
      }
      case ToPool.Recycle:
        // Over its memory budget: take no new calls, stop once the current ones are done.
        if (slot.draining) return;
        slot.draining = true;
        slot.retired = 'recycled';
        if (slot.jobs.size === 0) this.workers.stop(slot, 'recycled');
        // Still finishing calls or not, a replacement takes the new ones from now on.
        this.replenish();
        if (this.queued > 0) this.flush();
        return;
      case ToPool.ModuleLoaded: {
        const [, fnIndex, status, waitingCalls] = msg;
        this.modulesLoaded++;
        if (--slot.loading === 0) this.queueWarmUp();
        this.callsWaitedForModule += waitingCalls;
        const fn = this.fns.get(fnIndex);
        if (fn && this.moduleLoaded.hasListeners) {
          const ok = status === CallStatus.Ok;
          this.moduleLoaded.fire({ threadId: slot.threadId, taskId: fn.taskId, ok, waitingCalls });
        }
        if (slot.loading === 0) {
          // Ready now: calls kept back from it while it was importing can go; with none, it is
          // an idle worker like any other (and may stop after idleTimeoutMs).
          if (slot.jobs.size === 0) this.workers.rest(slot);
          if (this.queued > 0 && !this.flushQueued) this.flush();
        }
        return;
      }
      case ToPool.CancelAck:
        // The grace timer decides.
        return;
    }
  }

  private finish(
    job: PoolJob,
    status: CallStatus,
    value: unknown,
    syncMs: number,
    wallMs: number,
  ): void {
    if (job.graceTimer) this.clock.clearTimeout(job.graceTimer);
    if (job.state !== 'sent') {
      job.state = 'settled';
      return;
    }
    job.state = 'settled';
    if (status === CallStatus.Ok) job.settle(true, value, syncMs, wallMs);
    else job.settle(false, outcomeError(job.fn, status, value), syncMs, wallMs);
  }

  /**
   * A worker is gone. Calls it never started run elsewhere; calls it had started fail with
   * FoxWorkerError (they may have had side effects, so they are not silently re-run).
   */
  private onExit(slot: WorkerSlot, code: number): void {
    const reason = this.workers.remove(slot);
    let requeue: PoolJob[] = [];
    if (this.closed) {
      for (const job of slot.jobs.values()) {
        if (job.state !== 'sent') continue;
        job.state = 'settled';
        job.settle(false, new FoxShutdownError(), -1, -1);
      }
    } else {
      const { unstarted, failed } = takeOrphans(slot, code, this.options.resourceLimits);
      for (const job of unstarted) {
        job.state = 'queued';
        job.slot = undefined;
        job.wseq = 0;
      }
      requeue = unstarted;
      for (const [job, error] of failed) {
        job.state = 'settled';
        job.settle(false, error, -1, -1);
      }
    }
    slot.jobs.clear();
    this.threadExited.fire({
      threadId: slot.threadId,
      reason,
      exitCode: code,
      ...(slot.lastError !== undefined ? { error: slot.lastError } : {}),
    });
    if (this.closed) return;
    if (requeue.length > 0) this.queue.splice(this.queueHead, 0, ...requeue);
    if (this.queued > 0) this.flush();
    else this.replenish();
    if (slot.loading > 0) this.queueWarmUp();
  }

  /** Rejects queued calls, waits for running ones (up to the grace period), stops workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const job = this.queue[i]!;
      if (job.state !== 'queued') continue;
      job.state = 'settled';
      job.settle(false, new FoxShutdownError(), -1, -1);
    }
    this.queue = [];
    this.queueHead = 0;
    const deadline = Date.now() + this.options.cancelGraceMs;
    while (this.workers.inFlight() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.closed = true;
    await Promise.all(
      this.workers.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.worker.once('exit', () => resolve());
            this.workers.stop(s, 'closed');
          }),
      ),
    );
  }
}
