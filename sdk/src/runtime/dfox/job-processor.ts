import type { Job } from 'bullmq';
import type { Clock } from '../../clock/clock.js';
import { FoxTimeoutError } from '../../errors/errors.js';
import { runAs } from '../../context/run-context.js';
import {
  FoxNotJsonError,
  FoxRemoteRefusedError,
  argsOfJob,
  encodeFailure,
  findJsonProblem,
} from '../../modes/dfox/index.js';
import type { BullMQ } from '../../modes/dfox/bullmq-module.js';
import { DfoxJobDataSchema, type DfoxJobResult } from '../../protocol/dfox-job.js';
import type { Strategy } from '../../modes/strategy.js';
import { Call } from '../../task/call.js';
import type { Task } from '../../task/task.js';
import type { JobTargets } from './job-target.js';
import { withRemoteParent } from './otel-context.js';
import type { ProcessorCounters } from './processor-counters.js';
import { RemoteCall } from './remote-call.js';

/**
 * The one generic processor of every Fox queue (no sandboxed processor files): reads the job,
 * resolves its task against the worker's root, runs the user's function with the caller's
 * trace context and the job's signal, and returns a JSON-safe result. A refusal is an
 * UnrecoverableError (queue-side retries would refuse again); a failure's reason is the
 * serialized error, so the caller re-creates it.
 */
export function createProcessor(
  bull: BullMQ,
  targets: JobTargets,
  clock: Clock,
  counters: ProcessorCounters,
  /** The task's tfox strategy in this process, for tasks that run on the worker-thread pool. */
  pool: (task: Task) => Strategy,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<DfoxJobResult> {
  return async (job, _token, jobSignal) => {
    const parsed = DfoxJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      counters.refused++;
      const refusal = new FoxRemoteRefusedError(
        String(job.name),
        'malformed',
        'the job data is not a Fox job of a version this worker knows',
      );
      throw new bull.UnrecoverableError(encodeFailure(refusal));
    }
    const data = parsed.data;
    let target;
    try {
      target = await targets.resolve(data.taskId, data.hash);
    } catch (err) {
      counters.refused++;
      throw new bull.UnrecoverableError(encodeFailure(err));
    }
    // Without a deadline the job's own signal (BullMQ cancellation) is the call's signal, and
    // no listener is added: each costs microseconds on every job.
    let signal = jobSignal ?? NEVER;
    let controller: AbortController | undefined;
    let onJobAbort: (() => void) | undefined;
    let timer;
    if (data.deadline !== undefined) {
      const c = (controller = new AbortController());
      onJobAbort = () => c.abort(jobSignal?.reason);
      jobSignal?.addEventListener('abort', onJobAbort, { once: true });
      const left = data.deadline - clock.wallNow();
      const expire = (): void => c.abort(new FoxTimeoutError(Math.max(0, left), data.taskId));
      if (left <= 0) expire();
      else timer = clock.setTimeout(expire, left);
      signal = c.signal;
    }
    try {
      if (signal.aborted) throw signal.reason;
      const args = argsOfJob(data, signal);
      const call = new RemoteCall(data.taskId, target.self, args, data.trace, signal);
      const running = withRemoteParent(data.trace.traceparent, () =>
        target.run === 'tfox'
          ? // The pool's call carries the caller's signal only where the function takes one.
            pool(target.task).run(
              new Call(data.taskId, undefined, args, call, data.signal ? signal : undefined),
              NO_ATTEMPT,
            )
          : runAs(call, () => target.fn.apply(target.self, args)),
      );
      // Past the deadline the job ends even when the function ignores its signal.
      const value = controller ? await raceAbort(running, signal) : await running;
      if (value === undefined) {
        counters.ran++;
        return { u: 1 };
      }
      const problem = findJsonProblem(value);
      if (problem) {
        throw new FoxNotJsonError(
          data.taskId,
          'result',
          undefined,
          problem.path || '.',
          problem.why,
        );
      }
      counters.ran++;
      return { v: value };
    } catch (err) {
      counters.failed++;
      throw new Error(encodeFailure(err));
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      if (onJobAbort) jobSignal?.removeEventListener('abort', onJobAbort);
    }
  };
}

/** tfox runs the function in a thread, found by its module: the attempt below is not used. */
const NO_ATTEMPT = (): Promise<unknown> => Promise.reject(new Error('not used by tfox'));

/** The signal of a job that nothing can cancel (a BullMQ version without cancellation). */
const NEVER = new AbortController().signal;

/**
 * The function's result, or the signal's reason as soon as it aborts: a function that ignores
 * its signal cannot hold the job (and its lock) past the caller's deadline or cancellation.
 */
function raceAbort(work: unknown, signal: AbortSignal): Promise<unknown> {
  const promise = Promise.resolve(work);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
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
