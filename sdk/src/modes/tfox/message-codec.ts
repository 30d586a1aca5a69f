import type { WorkerFunction } from './pool-job.js';
import {
  CALL_STRIDE,
  CALLS_HEADER,
  CallStatus,
  RESULT_STRIDE,
  RESULTS_HEADER,
  STATUS_MASK,
  STATUS_TIMED,
  TIMED_RESULT_STRIDE,
  ToPool,
  ToWorker,
  type CallsMessage,
  type CancelMessage,
  type FunctionDef,
  type ResultsMessage,
} from './protocol.js';

/**
 * Encoding and decoding of the messages in protocol.ts, for both sides: the pool writes calls
 * and reads results, the worker reads calls and writes results. The layouts (header sizes,
 * strides, the timed bit) are known here only. This module is bundled into the worker too, so
 * it imports nothing at run time but protocol.ts.
 *
 * Messages are built by `push`, never `new Array(n)`: V8 serializes a holey array sparsely
 * (index, value pairs, rebuilt element by element on the other side), which costs ~2× on both
 * threads.
 */

/** A function's definition on the wire. */
export function functionDefOf(fn: WorkerFunction): FunctionDef {
  return [fn.index, fn.moduleUrl, fn.locationKey, fn.names, fn.taskId];
}

/** A calls message with no calls yet (with `defs` alone, it has the worker import them). */
export function callsMessage(defs: FunctionDef[] | null): CallsMessage {
  return [ToWorker.Calls, defs];
}

/**
 * A calls message with one call (the pool's lone-call path): built as a literal, which is
 * cheaper than growing an array by push.
 */
export function oneCallMessage(
  defs: FunctionDef[] | null,
  id: number,
  fnIndex: number,
  args: unknown[],
  flags: number,
): CallsMessage {
  return [ToWorker.Calls, defs, id, fnIndex, args, flags];
}

/** Appends one call to a calls message. */
export function appendCall(
  msg: CallsMessage,
  id: number,
  fnIndex: number,
  args: unknown[],
  flags: number,
): void {
  msg.push(id, fnIndex, args, flags);
}

/** Sets the definitions of a calls message built before they were known. */
export function setDefs(msg: CallsMessage, defs: FunctionDef[] | null): void {
  msg[1] = defs;
}

/** The definitions a calls message carries. */
export function defsOf(msg: CallsMessage): FunctionDef[] | null {
  return msg[1];
}

/** The cancel of a call; a reason that cannot be cloned goes as its string. */
export function cancelMessage(id: number, reason: unknown): CancelMessage {
  let sent = reason;
  try {
    structuredClone(reason);
  } catch {
    sent = String(reason);
  }
  return [ToWorker.Cancel, id, sent];
}

/**
 * The index of the first value that cannot be cloned, or -1 (after postMessage refused a calls
 * message: which argument of a call was at fault).
 */
export function firstUncloneable(values: readonly unknown[]): number {
  return values.findIndex((v) => {
    try {
      structuredClone(v);
      return false;
    } catch {
      return true;
    }
  });
}

/** Visits each call of a calls message; `more` says whether another call follows. */
export function forEachCall(
  msg: CallsMessage,
  visit: (id: number, fnIndex: number, args: unknown[], flags: number, more: boolean) => void,
): void {
  const end = msg.length;
  for (let i = CALLS_HEADER; i < end; i += CALL_STRIDE) {
    visit(
      msg[i] as number,
      msg[i + 1] as number,
      msg[i + 2] as unknown[],
      msg[i + 3] as number,
      i + CALL_STRIDE < end,
    );
  }
}

/**
 * Visits each result of a results message. `status` is a {@link CallStatus}; `syncMs` and
 * `wallMs` are -1 unless the call was measured.
 */
export function forEachResult(
  msg: ResultsMessage,
  visit: (id: number, status: CallStatus, value: unknown, syncMs: number, wallMs: number) => void,
): void {
  const end = msg.length;
  for (let i = RESULTS_HEADER; i < end;) {
    const status = msg[i + 1] as number;
    if (status & STATUS_TIMED) {
      visit(
        msg[i] as number,
        (status & STATUS_MASK) as CallStatus,
        msg[i + 2],
        msg[i + 3] as number,
        msg[i + 4] as number,
      );
      i += TIMED_RESULT_STRIDE;
    } else {
      visit(msg[i] as number, (status & STATUS_MASK) as CallStatus, msg[i + 2], -1, -1);
      i += RESULT_STRIDE;
    }
  }
}

/**
 * The worker's results since its last message to the pool, written as they come and taken as
 * one message (see {@link ResultsMessage}).
 */
export class ResultWriter {
  private msg: ResultsMessage = [ToPool.Results, 0, 0];

  /** No result written since the last `take`. */
  get empty(): boolean {
    return this.msg.length === RESULTS_HEADER;
  }

  add(id: number, status: CallStatus, value: unknown): void {
    this.msg.push(id, status, value);
  }

  /** A measured call's result: its loop time and wall time follow. */
  addTimed(id: number, status: CallStatus, value: unknown, syncMs: number, wallMs: number): void {
    this.msg.push(id, status | STATUS_TIMED, value, syncMs, wallMs);
  }

  /** The message, with the loop time of the `calls` calls begun since the last one. */
  take(busyMs: number, calls: number): ResultsMessage {
    const msg = this.msg;
    msg[1] = busyMs;
    msg[2] = calls;
    this.msg = [ToPool.Results, 0, 0];
    return msg;
  }
}

/**
 * Turns each successful result of `msg` that cannot be cloned into a
 * {@link CallStatus.NotCloneable} failure with `toError(cloneError)` as its value (after
 * postMessage refused the whole message).
 */
export function failUncloneable(msg: ResultsMessage, toError: (err: unknown) => unknown): void {
  for (let i = RESULTS_HEADER; i < msg.length;) {
    const status = msg[i + 1] as number;
    if ((status & STATUS_MASK) === CallStatus.Ok) {
      try {
        structuredClone(msg[i + 2]);
      } catch (err) {
        msg[i + 1] = status | CallStatus.NotCloneable;
        msg[i + 2] = toError(err);
      }
    }
    i += status & STATUS_TIMED ? TIMED_RESULT_STRIDE : RESULT_STRIDE;
  }
}
