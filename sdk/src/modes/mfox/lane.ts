import { FoxRejectedError, FoxShutdownError } from '../../errors/errors.js';

/** Live numbers of one lane (`fox.io.lanes()`). */
export interface LaneStats {
  name: string;
  limit: number;
  inFlight: number;
  queued: number;
  /** Highest in-flight count seen since the lane was created. */
  peakInFlight: number;
  completed: number;
  rejected: number;
}

interface Waiter {
  start: () => void;
  fail: (err: unknown) => void;
  cancelled: boolean;
}

/**
 * An I/O lane: at most `limit` operations of one resource (the disk, one remote origin) run at
 * once; the rest wait in FIFO order, up to `maxQueue`, beyond which callers are refused
 * (FoxRejectedError) instead of piling up memory. Producers that would rather wait than be
 * refused await `ready()` — that is the backpressure.
 */
export class Lane {
  private running = 0;
  private queue: Waiter[] = [];
  private head = 0;
  private peak = 0;
  private done = 0;
  private refused = 0;
  private readyWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    private max: number,
    private maxQueue: number,
  ) {}

  get limit(): number {
    return this.max;
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Changes the limits at run time; a higher limit starts waiting operations now. */
  configure(limit: number, maxQueue: number): void {
    this.max = limit;
    this.maxQueue = maxQueue;
    this.pump();
  }

  /** Runs `op` when the lane has room. An aborted signal removes a waiting op with its reason. */
  run<T>(op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new FoxShutdownError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.max && this.queued === 0) return this.exec(op);
    if (this.queued >= this.maxQueue) {
      this.refused++;
      return Promise.reject(new FoxRejectedError('queue-full', `lane ${this.name}`));
    }
    return new Promise<T>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const waiter: Waiter = {
        cancelled: false,
        start: () => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          this.exec(op).then(resolve, reject);
        },
        fail: reject,
      };
      if (signal) {
        onAbort = () => {
          waiter.cancelled = true;
          reject(signal.reason);
          this.notifyReady();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.queue.push(waiter);
    });
  }

  /** Resolves when the queue is shorter than the limit: await it before submitting more. */
  ready(): Promise<void> {
    if (this.queued < this.max) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  private async exec<T>(op: () => Promise<T>): Promise<T> {
    this.running++;
    if (this.running > this.peak) this.peak = this.running;
    try {
      return await op();
    } finally {
      this.running--;
      this.done++;
      this.pump();
    }
  }

  private pump(): void {
    while (this.running < this.max && this.head < this.queue.length) {
      const w = this.queue[this.head++]!;
      if (!w.cancelled) w.start();
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.notifyReady();
  }

  private notifyReady(): void {
    if (this.readyWaiters.length === 0 || this.queued >= this.max) return;
    const ws = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of ws) w();
  }

  stats(): LaneStats {
    return {
      name: this.name,
      limit: this.max,
      inFlight: this.running,
      queued: this.queued,
      peakInFlight: this.peak,
      completed: this.done,
      rejected: this.refused,
    };
  }

  /** Refuses new work and fails waiting operations with FoxShutdownError. */
  close(): void {
    this.closed = true;
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i]!;
      if (!w.cancelled) w.fail(new FoxShutdownError());
    }
    this.queue = [];
    this.head = 0;
    this.notifyReady();
  }
}
