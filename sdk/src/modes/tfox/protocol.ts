/**
 * The tfox pool ↔ worker protocol: message kinds, call flags, result statuses and the shapes of
 * the messages, imported by both sides (the pool in this thread, `worker/worker-main.ts` in each
 * worker). This module is bundled into the worker's source, so it imports nothing at run time.
 *
 * Messages are flat arrays, not objects: they clone faster, and this is the hot path.
 *
 * - parent → worker {@link CallsMessage} `[CALLS, defs, ...calls]`: `defs` are the functions
 *   this worker has not seen (or null); each call is {@link CALL_STRIDE} entries
 *   `id, fnIndex, args, flags`. A message with `defs` and no calls (prewarm) starts the imports.
 * - parent → worker {@link CancelMessage} `[CANCEL, id, reason]`: abort that call's signal.
 * - worker → parent {@link ResultsMessage} `[RESULTS, busyMs, calls, ...results]`: `busyMs` is
 *   the time the `calls` calls begun since the last such message held the event loop (the pool
 *   sizes its per-worker window from it); each result is `id, status, value`, and for calls with
 *   {@link CallFlag.Measure} the status has {@link STATUS_TIMED} added and `syncMs, wallMs`
 *   follow. Timing per batch, not per call, keeps two clock reads and two doubles per call off
 *   the hot path. A failure's value is an error as data (`SerializedError` in revive-error.ts).
 * - worker → parent {@link CancelAckMessage} `[CANCEL_ACK, id]`: the cancel arrived (the
 *   worker's event loop is not blocked).
 * - worker → parent {@link RecycleMessage} `[RECYCLE, heapBytes]`: over its memory budget;
 *   recycle it (sent before the results whose calls grew it).
 * - worker → parent {@link ModuleLoadedMessage} `[MODULE_LOADED, fnIndex, status,
 *   waitingCalls]`: a function's module finished loading ({@link CallStatus.Ok}) or failed;
 *   `waitingCalls` calls had arrived before it and waited.
 *
 * `WorkerData.started` (shared memory) counts calls the worker has begun, so after a crash the
 * pool knows which calls never started and can run them elsewhere instead of failing them.
 */

/** The first entry of a parent → worker message. */
export const ToWorker = { Calls: 0, Cancel: 1 } as const;
export type ToWorker = (typeof ToWorker)[keyof typeof ToWorker];

/** The first entry of a worker → parent message. */
export const ToPool = { Results: 0, CancelAck: 1, Recycle: 2, ModuleLoaded: 3 } as const;
export type ToPool = (typeof ToPool)[keyof typeof ToPool];

/** Bits of a call's `flags`. */
export const CallFlag = {
  /** The last argument is (or holds, as `signal`) {@link SIGNAL_MARK}: give it an AbortSignal. */
  Signal: 1,
  /** Report the call's own event-loop time and wall time (auto mode's evidence). */
  Measure: 2,
} as const;

/** How a call (or a module load) ended; the low bits of a result's status. */
export const CallStatus = {
  Ok: 0,
  /** The function threw or its promise rejected. */
  Threw: 1,
  /** The result could not be cloned back to the parent. */
  NotCloneable: 2,
  /** The module has no such export. */
  NotExported: 3,
  /** The module failed to import. */
  LoadFailed: 4,
  /** The module did not finish importing within `loadTimeoutMs`. */
  LoadTimedOut: 5,
} as const;
export type CallStatus = (typeof CallStatus)[keyof typeof CallStatus];
/** A status a module load can end with. */
export type LoadStatus =
  | typeof CallStatus.Ok
  | typeof CallStatus.NotExported
  | typeof CallStatus.LoadFailed
  | typeof CallStatus.LoadTimedOut;

/** Added to a result's status when `syncMs, wallMs` follow its value. */
export const STATUS_TIMED = 8;
/** The bits of a result's status that hold its {@link CallStatus}. */
export const STATUS_MASK = 7;

/** Entries per call in a {@link CallsMessage}. */
export const CALL_STRIDE = 4;
/** Entries before the first call in a {@link CallsMessage}. */
export const CALLS_HEADER = 2;
/** Entries before the first result in a {@link ResultsMessage}. */
export const RESULTS_HEADER = 3;
/** Entries per result, without and with {@link STATUS_TIMED}. */
export const RESULT_STRIDE = 3;
export const TIMED_RESULT_STRIDE = 5;

/**
 * Stands in for an AbortSignal in a call's arguments (a signal cannot be cloned); the worker
 * puts its own signal in its place, aborted by a {@link CancelMessage}.
 */
export const SIGNAL_MARK = '\u0000fox:signal';

/** `Symbol.for` key of the worker copy of fox's registry of tfox functions, by location key. */
export const WORKER_REGISTRY_KEY = 'fox.tfox.worker';

/**
 * What a worker needs to find a function, on the wire: `[index, moduleUrl, locationKey, names,
 * taskId]`. `index` names the function in later calls and in {@link ModuleLoadedMessage}.
 */
export type FunctionDef = readonly [
  index: number,
  moduleUrl: string,
  locationKey: string,
  names: readonly string[],
  taskId: string,
];

/** `[ToWorker.Calls, defs, id, fnIndex, args, flags, id, …]`. */
export type CallsMessage = [typeof ToWorker.Calls, FunctionDef[] | null, ...unknown[]];
export type CancelMessage = [typeof ToWorker.Cancel, id: number, reason: unknown];
export type ToWorkerMessage = CallsMessage | CancelMessage;

/** `[ToPool.Results, busyMs, calls, id, status, value, (syncMs, wallMs,) id, …]`. */
export type ResultsMessage = [typeof ToPool.Results, busyMs: number, calls: number, ...unknown[]];
export type CancelAckMessage = [typeof ToPool.CancelAck, id: number];
export type RecycleMessage = [typeof ToPool.Recycle, heapBytes: number];
export type ModuleLoadedMessage = [
  typeof ToPool.ModuleLoaded,
  fnIndex: number,
  status: LoadStatus,
  waitingCalls: number,
];
export type ToPoolMessage =
  ResultsMessage | CancelAckMessage | RecycleMessage | ModuleLoadedMessage;

/** The worker's `workerData`. */
export interface WorkerData {
  /** One Int32: calls the worker has begun (see the module comment). */
  readonly started: SharedArrayBuffer;
  /** tsx's ESM API to register first (tests and `tsx` runs import TypeScript task modules). */
  readonly tsx: string | undefined;
  readonly loadTimeoutMs: number;
  /** Ask to be recycled above this heap in use (0: never). */
  readonly maxHeapBytes: number;
  /** Least time between two heap checks. */
  readonly heapCheckIntervalMs: number;
}
