import { Worker, type TransferListItem } from 'node:worker_threads';
import { FoxShutdownError } from '../../errors/errors.js';
import {
  FoxDataCloneError,
  FoxNotExportedError,
  FoxWorkerError,
  type WorkerFailure,
} from '../errors.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import { WORKER_SOURCE } from './worker-source.js';

/**
 * The tfox worker pool, built on `worker_threads` directly rather than on piscina. Why: the
 * dispatch target (≤ 5 µs per no-op call saturated) needs several calls in flight per worker
 * and all calls submitted in one tick grouped into one message per worker; piscina sends one
 * task per message and (by default) one task per worker, which measured 35 µs per call here.
 * piscina stays the peer in `scripts/bench/tfox.ts`.
 *
 * Scheduling: calls queue in the pool; a microtask after the first submit of a tick hands the
 * queue out to the least-loaded workers, one message each. Results come back batched the same
 * way. How many calls a worker holds at once adapts to their length (see `cap`).
 */

/** What a worker needs to find a task's function: its module and how to look it up. */
export interface WorkerFunction {
  readonly index: number;
  readonly taskId: string;
  readonly moduleUrl: string;
  /** `file:line:column` of the decoration: the worker's copy of fox records functions by it. */
  readonly locationKey: string;
  /** Export path to try when the decoration was not recorded (e.g. `{ module }` points elsewhere). */
  readonly names: readonly string[];
}

/** One call on its way through the pool. */
export class PoolJob {
  /** Index of the job in its worker's send order (1-based); 0 while queued. */
  wseq = 0;
  slot: WorkerSlot | undefined;
  state: 'queued' | 'sent' | 'settled' | 'abandoned' = 'queued';
  graceTimer: ReturnType<typeof setTimeout> | undefined;
  detach: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly fn: WorkerFunction,
    readonly args: unknown[],
    readonly flags: number,
    readonly transfer: TransferListItem[] | undefined,
    readonly settle: (ok: boolean, value: unknown, syncMs: number, wallMs?: number) => void,
  ) {}
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly started: Int32Array;
  readonly jobs: Map<number, PoolJob>;
  readonly known: Set<number>;
  sent: number;
  /** Set when the worker asked to be recycled or is being stopped: no new calls. */
  draining: boolean;
  stopping: boolean;
  refed: boolean;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  lastError: unknown;
}

export const FLAG_SIGNAL = 1;
export const FLAG_MEASURE = 2;
const TARGET_BATCH_MS = 2;
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

  constructor(
    readonly options: ResolvedPoolOptions,
    private readonly tsxApi: string | undefined,
  ) {}

  get threads(): number {
    return this.slots.length;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Calls in flight per worker right now: short calls pipeline deeply, long ones stay shallow. */
  private get cap(): number {
    const c = this.options.concurrentTasksPerWorker;
    if (c !== 'auto') return c;
    if (this.serviceMs < 0) return 2;
    // Enough calls to keep a worker busy for ~2 ms between refills, so messaging is amortised
    // for tiny calls while the tail imbalance between workers stays ≈2 ms for longer ones.
    return Math.max(2, Math.min(1024, Math.ceil(TARGET_BATCH_MS / this.serviceMs)));
  }

  submit(
    fn: WorkerFunction,
    args: unknown[],
    flags: number,
    transfer: TransferListItem[] | undefined,
    settle: (ok: boolean, value: unknown, syncMs: number, wallMs?: number) => void,
  ): PoolJob {
    if (this.closed) throw new FoxShutdownError();
    const job = new PoolJob(this.nextId++, fn, args, flags, transfer, settle);
    this.queue.push(job);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
    return job;
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
    const slot = job.slot!;
    let reasonToSend = reason;
    try {
      structuredClone(reason);
    } catch {
      reasonToSend = String(reason);
    }
    slot.worker.postMessage([1, job.id, reasonToSend]);
    job.graceTimer = setTimeout(() => {
      if (slot.jobs.has(job.id)) this.stop(slot, 'terminated');
    }, this.options.cancelGraceMs);
    job.graceTimer.unref();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const q = this.queue;
    let head = this.queueHead;
    if (head >= q.length) return;
    this.ensureWorkers();
    const cap = this.cap;
    const batches = new Map<WorkerSlot, PoolJob[]>();
    while (head < q.length) {
      const job = q[head]!;
      if (job.state !== 'queued') {
        head++;
        continue;
      }
      const slot = this.leastLoaded();
      if (!slot || slot.jobs.size >= cap) break;
      head++;
      job.state = 'sent';
      job.slot = slot;
      job.wseq = ++slot.sent;
      slot.jobs.set(job.id, job);
      let b = batches.get(slot);
      if (!b) batches.set(slot, (b = []));
      b.push(job);
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
    for (const [slot, jobs] of batches) this.post(slot, jobs);
    if (this.queued > 0) this.maybeGrow();
  }

  private post(slot: WorkerSlot, jobs: PoolJob[]): void {
    let defs: unknown[] | null = null;
    const flat: unknown[] = new Array(2 + jobs.length * 4);
    flat[0] = 0;
    let transfer: TransferListItem[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const fn = job.fn;
      if (!slot.known.has(fn.index)) {
        slot.known.add(fn.index);
        (defs ??= []).push([fn.index, fn.moduleUrl, fn.locationKey, fn.names, fn.taskId]);
      }
      const k = 2 + i * 4;
      flat[k] = job.id;
      flat[k + 1] = fn.index;
      flat[k + 2] = job.args;
      flat[k + 3] = job.flags;
      if (job.transfer) (transfer ??= []).push(...job.transfer);
    }
    if (!slot.refed) {
      slot.refed = true;
      slot.worker.ref();
    }
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    try {
      flat[1] = defs;
      slot.worker.postMessage(flat, transfer);
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
        );
      } else good.push(job);
    }
    if (good.length === jobs.length) {
      // No single argument is at fault (e.g. the same buffer moved twice): fail them all.
      for (const job of good) {
        job.state = 'settled';
        job.settle(false, new FoxDataCloneError(job.fn.taskId, 'argument', undefined, err), -1);
      }
      return;
    }
    this.queue.splice(this.queueHead, 0, ...good);
    this.flush();
  }

  private leastLoaded(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (s.draining) continue;
      if (!best || s.jobs.size < best.jobs.size) best = s;
    }
    return best;
  }

  private ensureWorkers(): void {
    const live = this.slots.filter((s) => !s.draining).length;
    for (let i = live; i < Math.max(1, this.options.minThreads); i++) this.spawn();
  }

  /** Adds a worker when every worker is full and the pool may grow. */
  private maybeGrow(): void {
    const live = this.slots.filter((s) => !s.draining);
    if (live.length >= this.options.maxThreads) return;
    if (live.every((s) => s.jobs.size >= this.cap)) {
      this.spawn();
      this.flush();
    }
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
        },
        resourceLimits: this.options.resourceLimits,
        stdout: false,
        stderr: false,
      },
    );
    const slot: WorkerSlot = {
      worker,
      started,
      jobs: new Map(),
      known: new Set(),
      sent: 0,
      draining: false,
      stopping: false,
      refed: false,
      idleTimer: undefined,
      lastError: undefined,
    };
    worker.unref();
    worker.on('message', (msg: unknown[]) => this.onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: WorkerSlot, msg: unknown[]): void {
    if (msg[0] === 0) {
      const flat = msg;
      let busy = 0;
      let timed = 0;
      for (let i = 1; i < flat.length; i += 5) {
        const sync = flat[i + 3] as number;
        if (sync >= 0) {
          busy += sync;
          timed++;
        }
        const job = slot.jobs.get(flat[i] as number);
        if (!job) continue;
        slot.jobs.delete(job.id);
        this.finish(job, flat[i + 1] as number, flat[i + 2], sync, flat[i + 4] as number);
      }
      // The window follows the time calls hold a worker's loop (not their wall time: a call
      // waiting on I/O costs the worker nothing, so many can be in flight).
      if (timed > 0) {
        const per = busy / timed + PER_CALL_OVERHEAD_MS;
        this.serviceMs = this.serviceMs < 0 ? per : this.serviceMs * 0.8 + per * 0.2;
      }
      if (slot.jobs.size === 0) this.onIdle(slot);
      if (this.queued > 0 && !this.flushQueued) this.flush();
    } else if (msg[0] === 2) {
      // Over its memory budget: take no new calls, stop once the current ones are done.
      slot.draining = true;
      if (slot.jobs.size === 0) this.stop(slot, undefined);
      if (this.queued > 0) this.flush();
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
    if (job.graceTimer) clearTimeout(job.graceTimer);
    if (job.state !== 'sent') {
      job.state = 'settled';
      return;
    }
    job.state = 'settled';
    if (status === 0) return job.settle(true, value, syncMs, wallMs);
    const taskId = job.fn.taskId;
    const error = rebuildError(value);
    switch (status) {
      case 1:
        return job.settle(false, error, syncMs, wallMs);
      case 2:
        return job.settle(
          false,
          new FoxDataCloneError(taskId, 'result', undefined, error),
          syncMs,
          wallMs,
        );
      case 3:
        return job.settle(
          false,
          new FoxNotExportedError(taskId, job.fn.moduleUrl, (error as Error).message),
          -1,
          -1,
        );
      default:
        return job.settle(
          false,
          new FoxWorkerError(
            taskId,
            status === 5 ? 'load-timeout' : 'load-failed',
            `cannot import ${job.fn.moduleUrl}: ${(error as Error).message}`,
            { cause: error },
          ),
          -1,
        );
    }
  }

  private onIdle(slot: WorkerSlot): void {
    if (slot.refed) {
      slot.refed = false;
      slot.worker.unref();
    }
    if (slot.draining) return this.stop(slot, undefined);
    const live = this.slots.filter((s) => !s.draining).length;
    if (live > this.options.minThreads && !slot.idleTimer) {
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined;
        const stillLive = this.slots.filter((s) => !s.draining).length;
        if (slot.jobs.size === 0 && stillLive > this.options.minThreads) this.stop(slot, undefined);
      }, this.options.idleTimeoutMs);
      slot.idleTimer.unref();
    }
  }

  /** Terminates a worker; `failure` says what to tell the calls that were running on it. */
  private stop(slot: WorkerSlot, failure: WorkerFailure | undefined): void {
    if (slot.stopping) return;
    slot.stopping = true;
    slot.draining = true;
    if (failure) slot.lastError = failure;
    void slot.worker.terminate();
  }

  /**
   * A worker is gone. Calls it never started run elsewhere; calls it had started fail with
   * FoxWorkerError (they may have had side effects, so they are not silently re-run).
   */
  private onExit(slot: WorkerSlot, code: number): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const startedCount = Atomics.load(slot.started, 0);
    const requeue: PoolJob[] = [];
    const reason: WorkerFailure =
      slot.lastError === 'terminated'
        ? 'terminated'
        : slot.lastError !== undefined
          ? 'crashed'
          : 'exited';
    for (const job of slot.jobs.values()) {
      if (job.graceTimer) clearTimeout(job.graceTimer);
      if (job.state !== 'sent') continue;
      if (this.closed) {
        job.state = 'settled';
        job.settle(false, new FoxShutdownError(), -1);
      } else if (job.wseq > startedCount) {
        job.state = 'queued';
        job.slot = undefined;
        job.wseq = 0;
        requeue.push(job);
      } else {
        job.state = 'settled';
        const cause = slot.lastError instanceof Error ? slot.lastError : undefined;
        const detail =
          reason === 'terminated'
            ? 'terminated to stop a cancelled call that did not stop within the grace period'
            : reason === 'crashed'
              ? `uncaught error: ${cause?.message ?? String(slot.lastError)}`
              : `the worker exited (code ${code}) while the call was running`;
        job.settle(
          false,
          new FoxWorkerError(job.fn.taskId, reason, detail, { cause, exitCode: code }),
          -1,
        );
      }
    }
    slot.jobs.clear();
    if (this.closed) return;
    if (requeue.length > 0) this.queue.splice(this.queueHead, 0, ...requeue);
    if (this.queued > 0) this.flush();
    else if (this.slots.length < this.options.minThreads) this.ensureWorkers();
  }

  /** Rejects queued calls, waits for running ones (up to the grace period), stops workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const job = this.queue[i]!;
      if (job.state !== 'queued') continue;
      job.state = 'settled';
      job.settle(false, new FoxShutdownError(), -1);
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
            s.stopping = true;
            void s.worker.terminate();
          }),
      ),
    );
  }
}

interface SerializedError {
  name?: string;
  message?: string;
  stack?: string;
  props?: Record<string, unknown>;
  value?: unknown;
}

/** Errors cross as plain data; rebuild an Error with the worker's name, message, stack, props. */
function rebuildError(data: unknown): unknown {
  const s = data as SerializedError;
  if (s === null || typeof s !== 'object') return s;
  if ('value' in s && s.message === undefined) return s.value;
  const err = new Error(s.message ?? 'error in worker');
  if (s.name)
    Object.defineProperty(err, 'name', { value: s.name, configurable: true, writable: true });
  if (s.stack) err.stack = s.stack;
  if (s.props) Object.assign(err, s.props);
  return err;
}
