import { FoxConfigError } from '../../errors/errors.js';
import { DfoxStrategy } from '../../modes/dfox/index.js';
import { WORKER_TARGET, type WorkerTarget } from '../../modes/tfox/index.js';
import { parseTaskId } from '../../protocol/task-id.js';
import type { Task } from '../../task/task.js';
import type { Runtime } from '../runtime.js';
import { activeTraceparent } from './otel-context.js';

/**
 * The caller side of a dfox task, checked at decoration: a worker finds the function by the
 * task id alone (`<path relative to its root>#<export>`), so the id must name the module that
 * defines it and an export a worker can reach.
 */
export function createDfoxStrategy(task: Task, rt: Runtime): DfoxStrategy {
  const queue = task.options.queue;
  if (!queue) throw new FoxConfigError(['queue'], "mode 'dfox' needs a queue", task.id);
  const target = (task.options as { [WORKER_TARGET]?: WorkerTarget })[WORKER_TARGET];
  if (target?.ineligible) throw new FoxConfigError(['mode'], target.ineligible, task.id);
  const file = task.location?.file;
  if (!file) {
    throw new FoxConfigError(
      ['mode'],
      'dfox workers find the function by its source file, which is unknown here (no call site)',
      task.id,
    );
  }
  const relative = rt.relativePath(file);
  const parts = parseTaskId(task.id);
  if (!parts || parts.file !== relative) {
    throw new FoxConfigError(
      ['id'],
      `dfox workers resolve the task id against their project root, so it must be ` +
        `'${relative}#<export>' (the default id); a custom id cannot be found by a worker`,
      task.id,
    );
  }
  const timeout = task.options.timeout;
  return new DfoxStrategy(
    {
      taskId: task.id,
      queue: queue.name,
      moduleFile: file,
      attempts: queue.attempts ?? 1,
      backoffMs: queue.backoff,
      timeoutMs: timeout?.ms,
      jobId: queue.jobId as ((...args: unknown[]) => string) | undefined,
      watchCallSignal: timeout !== undefined,
      traceparent: activeTraceparent,
    },
    rt.dfoxQueues,
    rt.clock,
  );
}
