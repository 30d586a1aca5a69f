import type { Clock, TimerHandle } from '../../clock/clock.js';
import { repeatEvery, type RepeatingTimer } from '../../clock/clock.js';
import { dfoxCancelChannel, dfoxTimeoutsKey, type QueueStats } from '../../protocol/dfox-job.js';

// The parts of BullMQ a caller's queue link uses, typed here rather than imported: the sdk's
// declarations must compile in projects that do not install bullmq (an optional peer).

/** A job as the caller sees it (BullMQ's `Job`). */
export interface BullJob {
  id?: string | undefined;
  getState(): Promise<string>;
  remove(): Promise<void>;
  waitUntilFinished(events: BullQueueEvents, ttl?: number): Promise<unknown>;
}

/** BullMQ's `Queue`, as far as adding jobs, counting them and closing. */
export interface BullQueue {
  readonly client: Promise<unknown>;
  add(name: string, data: unknown, opts?: Record<string, unknown>): Promise<BullJob>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  setMaxListeners(n: number): unknown;
  close(): Promise<void>;
}

/** BullMQ's `QueueEvents` (completion and failure events callers wait on). */
export interface BullQueueEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/** The constructors of the `bullmq` module a queue link needs. */
export interface BullQueueModule {
  Queue: new (name: string, opts: { connection: object; prefix: string }) => BullQueue;
  QueueEvents: new (name: string, opts: { connection: object; prefix: string }) => BullQueueEvents;
}

/** Per-queue gauges, as `fox.stats()` reports them. */
export type QueueGauges = QueueStats;

/** BullMQ's (protected) connection of a queue object, closable with force. */
interface ForceClosable {
  connection: { close(force?: boolean): Promise<void> };
}

interface RedisLike {
  status: string;
  hset(key: string, field: string, value: string): Promise<unknown>;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  publish(channel: string, message: string): Promise<unknown>;
}

const GAUGE_POLL_MS = 1000;

/**
 * One queue as a caller uses it: the BullMQ `Queue` (adds jobs), its `QueueEvents` (completion
 * and failure events callers wait on) and the connection state. Errors of the connections are
 * counted, never thrown: BullMQ and ioredis reconnect on their own, and callers are told by
 * {@link whenReady} instead.
 */
export class QueueLink {
  readonly queue: BullQueue;
  readonly events: BullQueueEvents;
  private client: RedisLike | undefined;
  private readyPromise: Promise<void>;
  private readyWaiter: Promise<void> | undefined;
  private gauges: QueueGauges;
  private poller: RepeatingTimer | undefined;
  /** Connection errors seen (ECONNREFUSED while Redis is down, …). */
  connectionErrors = 0;
  private closed = false;

  constructor(
    bull: BullQueueModule,
    readonly name: string,
    readonly prefix: string,
    connection: Record<string, unknown>,
    private readonly clock: Clock,
  ) {
    this.queue = new bull.Queue(name, { connection, prefix });
    this.events = new bull.QueueEvents(name, { connection, prefix });
    const count = (): void => {
      this.connectionErrors++;
    };
    this.queue.on('error', count);
    // Every waiting caller listens for the queue closing (BullMQ's waitUntilFinished): many
    // concurrent calls are normal here, not a leak.
    this.queue.setMaxListeners(0);
    this.events.on('error', count);
    this.gauges = {
      queue: name,
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
      connected: false,
    };
    // Both must be listening before the first add: a job that finishes before its caller
    // subscribes is still seen (waitUntilFinished re-checks the job after subscribing).
    this.readyPromise = Promise.all([this.queue.client, this.events.waitUntilReady()]).then(
      ([client]) => {
        this.client = client as unknown as RedisLike;
      },
    );
    this.readyPromise.catch(() => {});
  }

  /** True when the queue's connection is ready now (the fast path: no timer, no await). */
  get ready(): boolean {
    return this.client?.status === 'ready';
  }

  /**
   * Resolves when the connection is ready, or false after `ms` (Redis down or unreachable).
   * Never rejects.
   */
  whenReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer: TimerHandle = this.clock.setTimeout(() => resolve(this.ready), ms);
      this.nextReady().then(
        () => {
          this.clock.clearTimeout(timer);
          resolve(true);
        },
        () => {},
      );
    });
  }

  /** One shared wait for the connection's next 'ready', however many calls wait on it. */
  private nextReady(): Promise<void> {
    return (this.readyWaiter ??= this.readyPromise
      .then(() => {
        if (this.ready) return;
        return new Promise<void>((resolve) => {
          this.client!.once('ready', () => resolve());
        });
      })
      .finally(() => {
        this.readyWaiter = undefined;
      }));
  }

  /** Asks the worker running `jobId` to abort it (BullMQ cancellation on the worker's side). */
  async cancelRunning(jobId: string, reason: string): Promise<void> {
    if (!this.client) return;
    await this.client.publish(
      dfoxCancelChannel(this.prefix, this.name),
      JSON.stringify({ jobId, reason }),
    );
  }

  /** Records a task's timeout for workers (see dfoxTimeoutsKey); best effort. */
  announceTimeout(taskId: string, ms: number): void {
    this.client?.hset(dfoxTimeoutsKey(this.prefix, this.name), taskId, String(ms)).catch(() => {});
  }

  /** Removes a job that has not started; false when it is running (locked) or gone. */
  async removeWaiting(job: BullJob): Promise<boolean> {
    try {
      const state = await job.getState();
      if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /** The latest gauges (polled in the background once asked for). */
  snapshot(): QueueGauges {
    if (!this.poller && !this.closed) {
      this.poll();
      this.poller = repeatEvery(this.clock, GAUGE_POLL_MS, () => this.poll());
    }
    return { ...this.gauges, connected: this.ready };
  }

  private poll(): void {
    if (!this.ready) return;
    this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized').then(
      (c) => {
        this.gauges.waiting = (c['waiting'] ?? 0) + (c['prioritized'] ?? 0);
        this.gauges.active = c['active'] ?? 0;
        this.gauges.delayed = c['delayed'] ?? 0;
        this.gauges.failed = c['failed'] ?? 0;
      },
      () => {},
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poller?.cancel();
    // A graceful close waits for the connection first; with Redis unreachable it would wait
    // forever, so a link that is not connected is dropped at once.
    // BullMQ's close of a QueueEvents awaits the client first, so its connection is closed
    // with force (what its own close does for a connection still initializing).
    const closing = this.ready
      ? Promise.allSettled([this.events.close(), this.queue.close()])
      : Promise.allSettled([
          (this.events as unknown as ForceClosable).connection.close(true),
          this.queue.close(),
        ]);
    await closing;
  }
}
