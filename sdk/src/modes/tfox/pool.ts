import { Worker, type TransferListItem } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../../clock/clock.js';
import { FoxShutdownError } from '../../errors/errors.js';
import { Emitter, type FoxEvent } from '../../events/emitter.js';
import { FoxDataCloneError, FoxWorkerError } from '../errors.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { PoolJob, WorkerFunction } from './pool-job.js';
import {
  describeExit,
  failureOf,
  outcomeError,
  type ThreadExit,
  type ThreadExitReason,
} from './worker-failure.js';
import { WORKER_SOURCE } from './worker-source.js';

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
 */

interface WorkerSlot {
  readonly worker: Worker;
  readonly threadId: number;
  readonly started: Int32Array;
  readonly jobs: Map<number, PoolJob>;
  readonly known: Set<number>;
  sent: number;
  /** Set when the worker asked to be recycled or is being stopped: no new calls. */
  draining: boolean;
  /** Why the pool retires it (undefined: it crashed or exited on its own). */
  retired: 'idle' | 'recycled' | 'terminated' | 'closed' | undefined;
  /** `terminate()` was called. */
  stopping: boolean;
  refed: boolean;
  idleTimer: TimerHandle | undefined;
  lastError: unknown;
  /** Imports of task modules sent to it that have not finished (see `[3]` in worker-source). */
  loading: number;
}

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

/** In a result's status: the call's own sync and wall times follow its value. */
const STATUS_TIMED = 8;
const TARGET_WINDOW_MS = 16;
/** Messaging and bookkeeping per call in a worker, added to its measured time. */
const PER_CALL_OVERHEAD_MS = 0.001;

export class ThreadPool {
  private readonly slots: WorkerSlot[] = [];
  private queue: PoolJob[] = [];
  private queueHead = 0;
  private flushQueued = false;
  private nextId = 1;
  private closed = false;
  /** Moving estimate of one call's service time in a worker, in ms. */
  private serviceMs = -1;
  private readonly flushBound = (): void => this.flush();
  private startedCount = 0;
  private readonly exitCounts: Record<ThreadExitReason, number> = {
    idle: 0,
    recycled: 0,
    closed: 0,
    terminated: 0,
    crashed: 0,
    exited: 0,
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
    private readonly tsxApi: string | undefined,
    /** Timers for the idle timeout and the cancel grace period (tests pass a fake). */
    private readonly clock: Clock = systemClock,
  ) {}

  get threads(): number {
    return this.slots.length;
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
    let inFlight = 0;
    for (const s of this.slots) inFlight += s.jobs.size;
    return {
      threads: this.slots.length,
      accepting: this.accepting(),
      queued: this.queued,
      inFlight,
      started: this.startedCount,
      exited: { ...this.exitCounts },
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
    for (const slot of this.slots) if (!slot.draining) this.define(slot, this.warmFns);
    this.warming = true;
    this.warmUp();
  }

  /** Starts the next prewarmed worker, unless there are enough or one is still importing. */
  private warmUp(): void {
    if (!this.warming || this.closed) return;
    if (this.accepting() < this.options.prewarmThreads) {
      // Resumed by the import's end (onMessage) or the importing worker's exit (onExit).
      for (const s of this.slots) if (!s.draining && s.loading > 0) return;
      this.onIdle(this.spawn());
    }
    // Done once started: workers that later stop idle are not started again.
    if (this.accepting() >= this.options.prewarmThreads) this.warming = false;
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
    let defs: unknown[] | null = null;
    for (const fn of fns) {
      if (slot.known.has(fn.index)) continue;
      slot.known.add(fn.index);
      (defs ??= []).push(this.defOf(fn));
    }
    if (!defs) return;
    slot.worker.postMessage([0, defs]);
    slot.loading += defs.length;
  }

  /** A function's definition on the wire (see worker-source.ts). */
  private defOf(fn: WorkerFunction): unknown[] {
    this.fns.set(fn.index, fn);
    return [fn.index, fn.moduleUrl, fn.locationKey, fn.names, fn.taskId];
  }

  /** Workers taking new calls (not draining or stopping). */
  private accepting(): number {
    let n = 0;
    for (const s of this.slots) if (!s.draining) n++;
    return n;
  }

  /** Calls in flight per worker right now: short calls pipeline deeply, long ones stay shallow. */
  private get cap(): number {
    const c = this.options.concurrentTasksPerWorker;
    if (c !== 'auto') return c;
    if (this.serviceMs < 0) return 2;
    // Enough calls to keep a worker busy for ~16 ms, sent 8 ms at a time (less as the queue
    // drains, see flush): messaging, and waking this thread, which takes a core from the
    // workers, is amortised. On a 2-core VM a wake-up cost ~0.2 ms of CPU; windows of 8, 16
    // and 32 ms gave 95, 96 and 97% of two bare threads' throughput.
    return Math.max(2, Math.min(1024, Math.ceil(TARGET_WINDOW_MS / this.serviceMs)));
  }

  /** Queues a call (or posts it at once when a worker is idle); its `settle` reports the end. */
  submit(job: PoolJob): void {
    if (this.closed) throw new FoxShutdownError();
    job.id = this.nextId++;
    // A lone call goes out now: waiting for the end of the tick to batch would only add latency.
    if (!this.flushQueued && this.queueHead === this.queue.length) {
      const idle = this.idleSlot();
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
    let reasonToSend = reason;
    try {
      structuredClone(reason);
    } catch {
      reasonToSend = String(reason);
    }
    slot.worker.postMessage([1, job.id, reasonToSend]);
    job.graceTimer = this.clock.setTimeout(() => {
      if (slot.jobs.has(job.id)) this.stop(slot, 'terminated');
    }, this.options.cancelGraceMs);
    job.graceTimer.unref?.();
  }

  /** A worker with no calls that takes new ones. */
  private idleSlot(): WorkerSlot | undefined {
    let importing: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (s.jobs.size > 0 || s.draining) continue;
      if (s.loading === 0) return s;
      importing ??= s;
    }
    return importing && !this.anyReady() ? importing : undefined;
  }

  /**
   * Whether a worker that takes calls has finished its imports. While one has, calls never go
   * to a worker still importing (they would wait for the import there): they wait here for a
   * ready one, and the importing worker joins when it is done (see `[3]` in onMessage).
   */
  private anyReady(): boolean {
    for (const s of this.slots) if (!s.draining && s.loading === 0) return true;
    return false;
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
    this.wake(slot);
    try {
      slot.worker.postMessage([0, defs, job.id, fn.index, job.args, job.flags], job.transfer);
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

  /** A worker is about to get calls: keep the process alive for them, cancel its idle stop. */
  private wake(slot: WorkerSlot): void {
    if (!slot.refed) {
      slot.refed = true;
      slot.worker.ref();
    }
    if (slot.idleTimer) {
      this.clock.clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const q = this.queue;
    let head = this.queueHead;
    if (head >= q.length) return;
    this.ensureWorkers();
    const cap = this.cap;
    // With a window that adapts (the default), calls go out in messages of up to half of it,
    // to workers with room for one: a worker then holds its next message while it runs the
    // current one, and this thread is woken once per message, not once per result. As the
    // queue drains, messages and windows shrink to a share of what is left (guided
    // self-scheduling), so the workers run out of calls together instead of one finishing a
    // last big message alone. A fixed concurrentTasksPerWorker is taken as it is.
    let chunk = cap;
    let window = cap;
    let refillAt = cap - 1;
    if (this.options.concurrentTasksPerWorker === 'auto') {
      const share = Math.ceil((q.length - head) / (2 * Math.max(1, this.accepting())));
      chunk = Math.max(1, Math.min(Math.ceil(cap / 2), share));
      window = Math.min(cap, 2 * chunk);
      refillAt = window - chunk;
    }
    const ready = this.anyReady();
    const open = this.slots.filter(
      (s) => !s.draining && s.jobs.size <= refillAt && (!ready || s.loading === 0),
    );
    const full: [WorkerSlot, PoolJob[]][] = [];
    const batches = new Map<WorkerSlot, PoolJob[]>();
    while (head < q.length) {
      const job = q[head]!;
      if (job.state !== 'queued') {
        head++;
        continue;
      }
      const slot = leastLoaded(open);
      if (!slot || slot.jobs.size >= window) break;
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
    let defs: unknown[] | null = null;
    // Built by push, not `new Array(n)`: V8 serializes a holey array sparsely (index, value
    // pairs, rebuilt element by element on the other side), which costs ~2× on both threads.
    const flat: unknown[] = [0, null];
    let transfer: TransferListItem[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const fn = job.fn;
      if (!slot.known.has(fn.index)) {
        slot.known.add(fn.index);
        (defs ??= []).push(this.defOf(fn));
      }
      flat.push(job.id, fn.index, job.args, job.flags);
      if (job.transfer) (transfer ??= []).push(...job.transfer);
    }
    this.wake(slot);
    try {
      flat[1] = defs;
      slot.worker.postMessage(flat, transfer);
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
    defs: unknown[] | null,
    err: unknown,
  ): void {
    slot.sent -= jobs.length;
    if (defs) for (const d of defs) slot.known.delete((d as [number])[0]);
    const good: PoolJob[] = [];
    for (const job of jobs) {
      slot.jobs.delete(job.id);
      job.slot = undefined;
      job.state = 'queued';
      const bad = job.args.findIndex((a) => {
        try {
          structuredClone(a);
          return false;
        } catch {
          return true;
        }
      });
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
    const live = this.accepting();
    for (let i = live; i < Math.max(1, this.options.minThreads); i++) this.spawn();
  }

  /** After a worker left or started draining: back to `minThreads` (not more: see flush). */
  private replenish(): void {
    const live = this.accepting();
    for (let i = live; i < this.options.minThreads; i++) this.spawn();
  }

  /**
   * Adds a worker when calls are still queued after a flush (every worker holds a message
   * beyond the one it runs) and the pool may grow.
   */
  private maybeGrow(window: number): void {
    if (this.accepting() >= this.options.maxThreads) return;
    // Workers still importing take a window of calls each once ready: grow only beyond that.
    let importing = 0;
    for (const s of this.slots) if (!s.draining && s.loading > 0) importing++;
    if (this.anyReady() && this.queued <= importing * window) return;
    this.spawn();
    this.flush();
  }

  private spawn(): WorkerSlot {
    const started = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`),
      {
        workerData: {
          started: started.buffer,
          tsx: this.tsxApi,
          loadTimeoutMs: this.options.loadTimeoutMs,
          maxHeapBytes: this.options.recycleHeapBytes,
          heapCheckIntervalMs: this.options.heapCheckIntervalMs,
        },
        resourceLimits: this.options.resourceLimits,
        stdout: false,
        stderr: false,
      },
    );
    const slot: WorkerSlot = {
      worker,
      threadId: worker.threadId,
      started,
      jobs: new Map(),
      known: new Set(),
      sent: 0,
      draining: false,
      retired: undefined,
      stopping: false,
      refed: false,
      idleTimer: undefined,
      lastError: undefined,
      loading: 0,
    };
    worker.on('message', (msg: unknown[]) => this.onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    // After the listeners: a 'message' listener refs the worker's port again. Until it has
    // calls (see `wake`), a worker never keeps the process alive: a prewarmed one may get none.
    worker.unref();
    this.slots.push(slot);
    this.startedCount++;
    // Imports start now, before any call reaches it (the calls' own definitions then are known).
    this.define(slot, this.neededFns());
    this.threadStarted.fire({ threadId: slot.threadId });
    return slot;
  }

  private onMessage(slot: WorkerSlot, msg: unknown[]): void {
    if (msg[0] === 0) {
      // [0, busyMs, calls, ...results]: each result is id, status, value (+ sync, wall when
      // the status has STATUS_TIMED).
      const end = msg.length;
      for (let i = 3; i < end;) {
        const job = slot.jobs.get(msg[i] as number);
        const status = msg[i + 1] as number;
        const value = msg[i + 2];
        let sync = -1;
        let wall = -1;
        if (status & STATUS_TIMED) {
          sync = msg[i + 3] as number;
          wall = msg[i + 4] as number;
          i += 5;
        } else i += 3;
        if (!job) continue;
        slot.jobs.delete(job.id);
        this.finish(job, status & ~STATUS_TIMED, value, sync, wall);
      }
      // The window follows the time calls hold a worker's loop (not their wall time: a call
      // waiting on I/O costs the worker nothing, so many can be in flight).
      const calls = msg[2] as number;
      if (calls > 0) {
        const per = (msg[1] as number) / calls + PER_CALL_OVERHEAD_MS;
        this.serviceMs = this.serviceMs < 0 ? per : this.serviceMs * 0.8 + per * 0.2;
      }
      if (slot.jobs.size === 0) this.onIdle(slot);
      if (this.queued > 0 && !this.flushQueued) this.flush();
    } else if (msg[0] === 2) {
      // Over its memory budget: take no new calls, stop once the current ones are done.
      if (slot.draining) return;
      slot.draining = true;
      slot.retired = 'recycled';
      if (slot.jobs.size === 0) this.stop(slot, 'recycled');
      // Still finishing calls or not, a replacement takes the new ones from now on.
      this.replenish();
      if (this.queued > 0) this.flush();
    } else if (msg[0] === 3) {
      // [3, fnIndex, status, waitingCalls]: an import finished (status 0: loaded).
      this.modulesLoaded++;
      if (--slot.loading === 0) this.queueWarmUp();
      const waitingCalls = msg[3] as number;
      this.callsWaitedForModule += waitingCalls;
      const fn = this.fns.get(msg[1] as number);
      if (fn && this.moduleLoaded.hasListeners) {
        const ok = msg[2] === 0;
        this.moduleLoaded.fire({ threadId: slot.threadId, taskId: fn.taskId, ok, waitingCalls });
      }
      if (slot.loading === 0) {
        // Ready now: calls kept back from it while it was importing can go; with none, it is
        // an idle worker like any other (and may stop after idleTimeoutMs).
        if (slot.jobs.size === 0) this.onIdle(slot);
        if (this.queued > 0 && !this.flushQueued) this.flush();
      }
    }
    // msg[0] === 1: a cancel was acknowledged; the grace timer decides.
  }

  private finish(
    job: PoolJob,
    status: number,
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
    if (status === 0) job.settle(true, value, syncMs, wallMs);
    else job.settle(false, outcomeError(job.fn, status, value), syncMs, wallMs);
  }

  private onIdle(slot: WorkerSlot): void {
    if (slot.refed) {
      slot.refed = false;
      slot.worker.unref();
    }
    if (slot.draining) {
      if (slot.retired === 'recycled') this.stop(slot, 'recycled');
      return;
    }
    if (!slot.idleTimer && this.accepting() > this.options.minThreads) {
      slot.idleTimer = this.clock.setTimeout(() => {
        slot.idleTimer = undefined;
        if (slot.jobs.size === 0 && !slot.draining && this.accepting() > this.options.minThreads)
          this.stop(slot, 'idle');
      }, this.options.idleTimeoutMs);
      slot.idleTimer.unref?.();
    }
  }

  /** Terminates a worker; `why` also tells the calls still running on it what happened. */
  private stop(slot: WorkerSlot, why: NonNullable<WorkerSlot['retired']>): void {
    if (slot.stopping) return;
    slot.stopping = true;
    slot.retired = why;
    slot.draining = true;
    void slot.worker.terminate();
  }

  /**
   * A worker is gone. Calls it never started run elsewhere; calls it had started fail with
   * FoxWorkerError (they may have had side effects, so they are not silently re-run).
   */
  private onExit(slot: WorkerSlot, code: number): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.idleTimer) this.clock.clearTimeout(slot.idleTimer);
    const startedCount = Atomics.load(slot.started, 0);
    const requeue: PoolJob[] = [];
    const reason: ThreadExitReason =
      slot.retired ?? (slot.lastError !== undefined ? 'crashed' : 'exited');
    for (const job of slot.jobs.values()) {
      if (job.graceTimer) this.clock.clearTimeout(job.graceTimer);
      if (job.state !== 'sent') continue;
      if (this.closed) {
        job.state = 'settled';
        job.settle(false, new FoxShutdownError(), -1, -1);
      } else if (job.wseq > startedCount) {
        job.state = 'queued';
        job.slot = undefined;
        job.wseq = 0;
        requeue.push(job);
      } else {
        job.state = 'settled';
        const detail = describeExit(reason, slot.lastError, code, this.options.resourceLimits);
        const cause = slot.lastError instanceof Error ? slot.lastError : undefined;
        job.settle(
          false,
          new FoxWorkerError(job.fn.taskId, failureOf(reason), detail, { cause, exitCode: code }),
          -1,
          -1,
        );
      }
    }
    slot.jobs.clear();
    this.exitCounts[reason]++;
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
    while (this.slots.some((s) => s.jobs.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.worker.once('exit', () => resolve());
            this.stop(s, 'closed');
          }),
      ),
    );
  }
}

function leastLoaded(slots: readonly WorkerSlot[]): WorkerSlot | undefined {
  let best: WorkerSlot | undefined;
  for (const s of slots) if (!best || s.jobs.size < best.jobs.size) best = s;
  return best;
}
