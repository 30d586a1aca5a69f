import type { DfoxTrace } from '../../protocol/dfox-job.js';
import { Call } from '../../task/call.js';

/**
 * A job's call as the worker runs it: it carries the caller's run id, so the calls the
 * function makes here are children of the caller's call (one span tree across processes), and
 * the job's signal (caller abort, deadline, worker shutdown).
 */
export class RemoteCall extends Call {
  constructor(
    taskId: string,
    self: unknown,
    args: unknown[],
    private readonly trace: DfoxTrace,
    signal: AbortSignal,
  ) {
    super(
      taskId,
      self,
      args,
      trace.parentRunId ? new RemoteParent(taskId, trace.parentRunId) : undefined,
      signal,
    );
    this.sampled = trace.sampled === true;
  }

  override get runId(): string {
    return this.trace.runId ?? super.runId;
  }

  override get hasRunId(): boolean {
    return this.trace.runId !== undefined || super.hasRunId;
  }
}

/** The caller's enclosing call, known here by its run id only. */
class RemoteParent extends Call {
  constructor(
    taskId: string,
    private readonly id0: string,
  ) {
    super(taskId, undefined, [], undefined, undefined);
  }

  override get runId(): string {
    return this.id0;
  }

  override get hasRunId(): boolean {
    return true;
  }
}
