import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock/clock.js';
import type { DfoxJobResult } from '../../protocol/dfox-job.js';
import type { Call } from '../../task/call.js';
import { FoxConfigError } from '../../errors/errors.js';
import { FoxWorkerError } from '../errors.js';
import type { Attempt, Strategy, StrategyGauges } from '../strategy.js';
import type { DfoxQueues } from './dfox-queues.js';
import { FoxUnavailableError } from './errors.js';
import { decodeFailure } from './failure-codec.js';
import { buildJobData } from './job-payload.js';
import { moduleHash } from './module-hash.js';
import type { BullJob, QueueLink } from './queue-link.js';

/** How one dfox task enqueues (resolved once, at decoration). */
export interface DfoxPlan {
  taskId: string;
  queue: string;
  /** The caller's copy of the module the task id names: hashed as the code version. */
  moduleFile: string;
  /** BullMQ attempts: 1 unless the user asked for queue-side retries. */
  attempts: number;
  /** Fixed delay between queue-side attempts (ms). */
  backoffMs: number | undefined;
  /** The task's timeout: the job's deadline (the worker aborts then). */
  timeoutMs: number | undefined;
  /** A stable job id from the arguments, for idempotent enqueueing; default per run and attempt. */
  jobId: ((...args: unknown[]) => string) | undefined;
  /** Also follow the call's own signal (a cooperative timeout), not only the caller's. */
  watchCallSignal: boolean;
  /** The W3C traceparent of the OpenTelemetry span active at the call, if any. */
  traceparent: () => string | undefined;
}

/**
 * Job ids unique across processes without a ULID per call (tens of µs): a random token per
 * process and a counter. The same id is resent if ioredis retries the add after a reconnect,
 * so that add stays one job.
 */
const PROCESS_TOKEN = randomBytes(9).toString('base64url');
let jobSeq = 0;

/**
 * The last 10 000 completed jobs are kept: re-adding the same job id then finds the result
 * instead of running again, and a caller that subscribes after its job finished still reads it
 * (BullMQ's waitUntilFinished fails on a job already removed). By count, not age: cleaning by
 * age costs ~20 µs of Redis CPU on every completion (measured), by count almost nothing.
 * Failed jobs are kept a day for inspection.
 */
const KEEP_COMPLETED = { count: 10_000 };
const KEEP_FAILED = { age: 24 * 3600 };

/**
 * dfox: the call becomes a BullMQ job on a named queue; a Fox worker in any process runs it
 * and this caller's promise settles with its result or a typed error.
 *
 * Semantics: BullMQ's attempts stay at 1 unless the task asks for queue-side retries (the
 * caller-side retry policy wraps this strategy instead; both at once is refused at
 * decoration). An abort removes a job that has not started and signals a running one through
 * the worker's BullMQ cancellation; the caller settles with `signal.reason` at once. A worker
 * that dies mid-job leaves it to BullMQ's stalled-job recovery, so a job can run twice: give
 * the task a stable `queue.jobId` when duplicates matter.
 */
export class DfoxStrategy implements Strategy {
  readonly mode = 'dfox' as const;
  private outstanding = 0;
  /** Whether this task's timeout is recorded for the queue's workers (lock settings). */
  private announced = false;

  constructor(
    private readonly plan: DfoxPlan,
    private readonly queues: DfoxQueues,
    private readonly clock: Clock,
  ) {}

  run(call: Call, _attempt: Attempt): Promise<unknown> {
    const signal = this.plan.watchCallSignal ? call.signal : call.callerSignal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.enqueueAndWait(call, signal);
  }

  private async enqueueAndWait(call: Call, signal: AbortSignal | undefined): Promise<unknown> {
    const plan = this.plan;
    const now = this.clock.wallNow();
    const deadline = plan.timeoutMs === undefined ? undefined : now + plan.timeoutMs;
    const data = buildJobData(
      call,
      moduleHash(plan.moduleFile, now),
      this.queues.maxPayloadBytes,
      deadline,
      // Read before the first await, while the caller's span is the active context.
      plan.traceparent(),
    );
    const link =
      this.queues.openLink(plan.queue) ?? (await this.queues.link(plan.queue, plan.taskId));
    if (!link.ready && !(await link.whenReady(this.queues.unavailableAfterMs))) {
      throw new FoxUnavailableError(
        plan.taskId,
        plan.queue,
        `Redis did not answer within ${this.queues.unavailableAfterMs} ms; nothing was enqueued`,
      );
    }
    if (signal?.aborted) throw signal.reason;
    const jobId = plan.jobId ? userJobId(plan, call.args) : `${PROCESS_TOKEN}.${++jobSeq}`;
    let job: BullJob;
    try {
      job = await link.queue.add(plan.taskId, data, {
        jobId,
        attempts: plan.attempts,
        ...(plan.backoffMs !== undefined
          ? { backoff: { type: 'fixed', delay: plan.backoffMs } }
          : {}),
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      });
    } catch (err) {
      throw new FoxUnavailableError(plan.taskId, plan.queue, 'enqueueing failed', err);
    }
    if (!this.announced && plan.timeoutMs !== undefined) {
      this.announced = true;
      link.announceTimeout(plan.taskId, plan.timeoutMs);
    }
    this.outstanding++;
    try {
      const result = (await this.wait(link, job, signal)) as DfoxJobResult | null | undefined;
      return result && 'v' in result ? result.v : undefined;
    } catch (err) {
      throw this.failureOf(err);
    } finally {
      this.outstanding--;
    }
  }

  /** Waits for the job; an abort settles at once and cancels the job in the background. */
  private wait(link: QueueLink, job: BullJob, signal: AbortSignal | undefined): Promise<unknown> {
    const finished = job.waitUntilFinished(link.events);
    if (!signal) return finished;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        reject(new AbortedWait(signal.reason));
        void this.cancel(link, job, signal.reason);
      };
      // Aborted while the job was being added: no event will come for it any more.
      if (signal.aborted) {
        finished.catch(() => {});
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      finished.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private async cancel(link: QueueLink, job: BullJob, reason: unknown): Promise<void> {
    try {
      if (await link.removeWaiting(job)) return;
      const text = reason instanceof Error ? reason.message : String(reason);
      await link.cancelRunning(job.id!, text);
    } catch {
      // Redis gone: the worker's own deadline (from the task's timeout) still ends the job.
    }
  }

  private failureOf(err: unknown): unknown {
    if (err instanceof AbortedWait) return err.reason;
    const reason = err instanceof Error ? err.message : String(err);
    const remote = decodeFailure(reason);
    if (remote !== undefined) return remote;
    // A reason BullMQ wrote itself: a job that stalled too often, a lost lock, a closing queue.
    return new FoxWorkerError(this.plan.taskId, 'crashed', reason, { cause: err });
  }

  gauges(): StrategyGauges {
    return { inFlight: this.outstanding, queued: 0, limit: null };
  }

  /** Queues are shared by the process's dfox tasks; the runtime closes them at shutdown. */
  async close(): Promise<void> {}
}

/** The task's own job id for these arguments, checked: BullMQ refuses some ids itself. */
function userJobId(plan: DfoxPlan, args: unknown[]): string {
  const id = plan.jobId!(...args);
  if (typeof id !== 'string' || id === '' || id.includes(':') || /^\d+$/.test(id)) {
    throw new FoxConfigError(
      ['queue', 'jobId'],
      `must return a non-empty string without ':' that is not a plain integer (got ${JSON.stringify(id)})`,
      plan.taskId,
    );
  }
  return id;
}

/** Marks the caller's abort so it is rethrown as the signal's reason, untouched. */
class AbortedWait {
  constructor(readonly reason: unknown) {}
}
