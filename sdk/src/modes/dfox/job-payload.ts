import type { Call } from '../../task/call.js';
import { DFOX_JOB_VERSION, type DfoxJobData } from '../../protocol/dfox-job.js';
import { FoxNotJsonError, FoxPayloadTooLargeError } from './errors.js';
import { findJsonProblem } from './json-check.js';

/**
 * The job data of one call: JSON-checked arguments (the first one that would not survive
 * Redis is named in a FoxNotJsonError), the caller's AbortSignal taken out (it becomes the
 * worker's job signal), the trace context, and the size checked against the limit before
 * anything is enqueued.
 */
export function buildJobData(
  call: Call,
  hash: string,
  maxBytes: number,
  deadline: number | undefined,
  traceparent?: string,
): DfoxJobData {
  const taskId = call.taskId;
  const args = call.args.slice();
  let signal: DfoxJobData['signal'];
  if (call.callerSignal) {
    const last = args.length - 1;
    const value = args[last];
    if (value instanceof AbortSignal) {
      args.length = last;
      signal = 'arg';
    } else {
      const { signal: _omit, ...rest } = value as Record<string, unknown>;
      args[last] = rest;
      signal = 'prop';
    }
  }
  let undef: number[] | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === undefined) {
      (undef ??= []).push(i);
      args[i] = null;
      continue;
    }
    const problem = findJsonProblem(args[i]);
    if (problem) {
      throw new FoxNotJsonError(taskId, 'argument', i, `[${i}]${problem.path}`, problem.why);
    }
  }
  const data: DfoxJobData = {
    v: DFOX_JOB_VERSION,
    taskId,
    hash,
    args,
    trace: traceOf(call, traceparent),
  };
  if (undef) data.undef = undef;
  if (signal) data.signal = signal;
  if (deadline !== undefined) data.deadline = Math.ceil(deadline);
  // ASCII-heavy payloads are the norm: count bytes only when the string could be over.
  const text = JSON.stringify(data);
  if (text.length * 3 > maxBytes || text.length > maxBytes) {
    const bytes = Buffer.byteLength(text);
    if (bytes > maxBytes) throw new FoxPayloadTooLargeError(taskId, bytes, maxBytes);
  }
  return data;
}

/** The trace context of a call: the ids it (or its parent) has or needs for its span. */
function traceOf(call: Call, traceparent: string | undefined): DfoxJobData['trace'] {
  const trace: DfoxJobData['trace'] = {};
  if (traceparent !== undefined) trace.traceparent = traceparent;
  if (call.sampled || call.hasRunId) trace.runId = call.runId;
  const parent = call.parent;
  if (parent && (parent.sampled || parent.hasRunId)) trace.parentRunId = parent.runId;
  if (call.sampled) trace.sampled = true;
  return trace;
}

/** The worker's arguments from job data: undefined slots and the job's signal put back. */
export function argsOfJob(data: DfoxJobData, signal: AbortSignal): unknown[] {
  const args = data.args.slice();
  for (const i of data.undef ?? []) if (i < args.length) args[i] = undefined;
  if (data.signal === 'arg') args.push(signal);
  else if (data.signal === 'prop') {
    const last = args.length - 1;
    const value = args[last];
    args[last] = { ...(value !== null && typeof value === 'object' ? value : {}), signal };
  }
  return args;
}
