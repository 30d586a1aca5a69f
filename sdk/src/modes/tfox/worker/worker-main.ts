/**
 * The tfox worker: runs the calls the pool sends (protocol.ts) and sends back their results.
 * It is not imported by the sdk: scripts/build-worker.mjs bundles it (with protocol.ts,
 * message-codec.ts and the modules of this folder) into `WORKER_SOURCE`, which the pool starts
 * from a `data:` URL. Everything it imports must therefore run without the rest of the sdk.
 */
import { parentPort as port, workerData, type TransferListItem } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { ResultWriter, failUncloneable, forEachCall } from '../message-codec.js';
import {
  CallFlag,
  CallStatus,
  SIGNAL_MARK,
  ToPool,
  ToWorker,
  WORKER_REGISTRY_KEY,
  type CallsMessage,
  type FunctionDef,
  type LoadStatus,
  type ToPoolMessage,
  type ToWorkerMessage,
  type WorkerData,
} from '../protocol.js';
import type { SerializedError } from '../revive-error.js';
import { describeExports, findExport, type FoundFunction } from './find-export.js';
import { serializeError } from './serialize-error.js';

/** A failed import, kept for the calls that arrive later. */
interface LoadFailure {
  readonly status: LoadStatus;
  readonly error: SerializedError;
}

/** A function this worker was told about, and its module's import. */
interface Definition {
  ready: FoundFunction | undefined;
  failed: LoadFailure | undefined;
  wait: Promise<void>;
  /** Calls that arrived before the import ended. */
  waiting: number;
}

interface MoveMarks {
  set: WeakSet<object>;
  count: number;
}

const parentPort = port!;
const data = workerData as WorkerData;
/** Long calls: results go out every 2 ms or so, not once per message (see `onCalls`). */
const REPORT_EVERY_MS = 2;

const globals = globalThis as Record<symbol, unknown>;
// The worker's copy of fox records decorated functions here (runtime/fox.ts), by location key.
const registry = (globals[Symbol.for(WORKER_REGISTRY_KEY)] = new Map<string, unknown>());
// Shared with the worker's copy of `fox.move` (move.ts): values the task marked to transfer.
const moved = (globals[Symbol.for('fox.moved')] ??= {
  set: new WeakSet(),
  count: 0,
}) as MoveMarks;
const started = new Int32Array(data.started);
const fns = new Map<number, Definition>();
const controllers = new Map<number, AbortController>();
const results = new ResultWriter();
let transfer: TransferListItem[] = [];
/** Loop time and number of the calls begun since the last results message. */
let busy = 0;
let begun = 0;
let inBatch = false;
let flushQueued = false;
let startedCount = 0;
// Calls begun whose result is not yet queued for the parent: when the last one finishes there
// is nothing to wait for, so its result goes out at once instead of at the end of the tick.
let running = 0;
let heapCheckedAt = -Infinity;

if (data.tsx) {
  const api = (await import(data.tsx)) as {
    register?: () => void;
    default?: { register?: () => void };
  };
  // No register function: let the worker fail loudly rather than import TypeScript without it.
  (api.register ?? api.default?.register)!();
}

function post(msg: ToPoolMessage, list?: TransferListItem[]): void {
  if (list) parentPort.postMessage(msg, list);
  else parentPort.postMessage(msg);
}

function define([index, url, key, names]: FunctionDef): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject({
          status: CallStatus.LoadTimedOut,
          error: serializeError(
            new Error(
              `the module did not finish loading within ${data.loadTimeoutMs} ms; it is probably an ` +
                "app's entry script or a bundle whose top level keeps running. Give tfox tasks their own module " +
                '(or a separate worker entry in a bundle) and point { module } at it',
            ),
          ),
        } satisfies LoadFailure),
      data.loadTimeoutMs,
    );
  });
  const load = import(url).then(
    (ns: Record<string, unknown>) => {
      const found = findExport(ns, registry.get(key), names);
      if (!found) {
        const dflt = ns['default'] as Record<string, unknown> | undefined;
        throw {
          status: CallStatus.NotExported,
          error: serializeError(
            new Error(
              `'${names.join('.')}' is not among its exports (exports: ${describeExports(ns)}` +
                (dflt ? `; default: ${describeExports(dflt)}` : '') +
                ')',
            ),
          ),
        } satisfies LoadFailure;
      }
      return found;
    },
    (err: unknown) => {
      throw { status: CallStatus.LoadFailed, error: serializeError(err) } satisfies LoadFailure;
    },
  );
  const entry: Definition = {
    ready: undefined,
    failed: undefined,
    wait: Promise.resolve(),
    waiting: 0,
  };
  entry.wait = Promise.race([load, timeout])
    .then(
      (found) => {
        entry.ready = found;
      },
      (failure: LoadFailure) => {
        entry.failed = failure;
      },
    )
    .finally(() => {
      clearTimeout(timer);
      // Before the results of the calls that waited (their callbacks were chained later).
      post([
        ToPool.ModuleLoaded,
        index,
        entry.failed ? entry.failed.status : CallStatus.Ok,
        entry.waiting,
      ]);
    });
  fns.set(index, entry);
}

function done(id: number, status: CallStatus, value: unknown): void {
  results.add(id, status, value);
  ended(status, value);
}

function doneTimed(
  id: number,
  status: CallStatus,
  value: unknown,
  syncMs: number,
  wallMs: number,
): void {
  results.addTimed(id, status, value, syncMs, wallMs);
  ended(status, value);
}

function ended(status: CallStatus, value: unknown): void {
  running--;
  if (moved.count > 0 && status === CallStatus.Ok) collect(value);
  if (inBatch) return;
  if (running === 0) flush();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

/** Values of a result marked with `fox.move`: top level and direct elements, as for arguments. */
function collect(value: unknown): void {
  const add = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || !moved.set.has(v)) return;
    moved.set.delete(v);
    transfer.push(ArrayBuffer.isView(v) ? (v.buffer as ArrayBuffer) : (v as TransferListItem));
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    Object.values(value).forEach(add);
}

function flush(): void {
  flushQueued = false;
  if (results.empty) return;
  const batch = results.take(busy, begun);
  const list = transfer;
  transfer = [];
  busy = 0;
  begun = 0;
  if (data.maxHeapBytes > 0) checkHeap();
  try {
    post(batch, list.length === 0 ? undefined : list);
  } catch {
    failUncloneable(batch, serializeError);
    post(batch);
  }
}

// Before the results it follows, so the pool stops sending calls here before their callers
// (who may call again at once) hear back. At most every heapCheckIntervalMs: reading the heap
// statistics costs more than a short call.
function checkHeap(): void {
  const now = Date.now();
  if (now - heapCheckedAt < data.heapCheckIntervalMs) return;
  heapCheckedAt = now;
  const used = getHeapStatistics().used_heap_size;
  if (used > data.maxHeapBytes) post([ToPool.Recycle, used]);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
  );
}

function invoke(id: number, found: FoundFunction, args: unknown[], flags: number): void {
  started[0] = ++startedCount;
  running++;
  const signal = (flags & CallFlag.Signal) !== 0;
  if (signal) {
    const controller = new AbortController();
    controllers.set(id, controller);
    const last = args.length - 1;
    if (args[last] === SIGNAL_MARK) args[last] = controller.signal;
    else args[last] = { ...(args[last] as object), signal: controller.signal };
  }
  if (flags & CallFlag.Measure) return invokeTimed(id, found, args, signal);
  let result: unknown;
  try {
    result = found.fn.apply(found.self, args);
  } catch (err) {
    if (signal) controllers.delete(id);
    return done(id, CallStatus.Threw, serializeError(err));
  }
  if (isThenable(result)) {
    result.then(
      (v) => {
        if (signal) controllers.delete(id);
        done(id, CallStatus.Ok, v);
      },
      (e: unknown) => {
        if (signal) controllers.delete(id);
        done(id, CallStatus.Threw, serializeError(e));
      },
    );
  } else {
    if (signal) controllers.delete(id);
    done(id, CallStatus.Ok, result);
  }
}

/** A measured call (auto mode's evidence): its own loop time and wall time go back with it. */
function invokeTimed(id: number, found: FoundFunction, args: unknown[], signal: boolean): void {
  const t0 = performance.now();
  let result: unknown;
  try {
    result = found.fn.apply(found.self, args);
  } catch (err) {
    if (signal) controllers.delete(id);
    const t = performance.now() - t0;
    return doneTimed(id, CallStatus.Threw, serializeError(err), t, t);
  }
  const sync = performance.now() - t0;
  if (isThenable(result)) {
    result.then(
      (v) => {
        if (signal) controllers.delete(id);
        doneTimed(id, CallStatus.Ok, v, sync, performance.now() - t0);
      },
      (e: unknown) => {
        if (signal) controllers.delete(id);
        doneTimed(id, CallStatus.Threw, serializeError(e), sync, performance.now() - t0);
      },
    );
  } else {
    if (signal) controllers.delete(id);
    doneTimed(id, CallStatus.Ok, result, sync, sync);
  }
}

/** Runs a call if its module is loaded; 1 when it ran now (for the busy-time average). */
function start(id: number, index: number, args: unknown[], flags: number): number {
  const entry = fns.get(index)!;
  if (entry.ready) {
    invoke(id, entry.ready, args, flags);
    return 1;
  }
  if (entry.failed) {
    started[0] = ++startedCount;
    running++;
    done(id, entry.failed.status, entry.failed.error);
    return 0;
  }
  // Not loaded yet: keep the call's place by counting it as started only when it runs.
  entry.waiting++;
  void entry.wait.then(() => {
    inBatch = true;
    const t0 = performance.now();
    try {
      begun += start(id, index, args, flags);
    } finally {
      busy += performance.now() - t0;
      inBatch = false;
      flush();
    }
  });
  return 0;
}

/** When the current call of `onCalls` began, or the last report in between. */
let lastReport = 0;

function onCall(id: number, fnIndex: number, args: unknown[], flags: number, more: boolean): void {
  begun += start(id, fnIndex, args, flags);
  // Long calls: report results every 2 ms or so rather than once per message, so callers
  // hear back sooner, without waking the parent once per call.
  if (more) {
    const now = performance.now();
    if (now - lastReport > REPORT_EVERY_MS) {
      busy += now - lastReport;
      lastReport = now;
      flush();
    }
  }
}

function onCalls(msg: CallsMessage): void {
  const defs = msg[1];
  if (defs) for (const d of defs) define(d);
  inBatch = true;
  lastReport = performance.now();
  try {
    forEachCall(msg, onCall);
  } finally {
    inBatch = false;
    busy += performance.now() - lastReport;
  }
  flush();
}

// process.exit() in a task ends this thread; results already computed still get out.
process.on('exit', () => {
  try {
    flush();
  } catch {
    // The port is gone.
  }
});

parentPort.on('message', (msg: ToWorkerMessage) => {
  if (msg[0] === ToWorker.Cancel) {
    const id = msg[1];
    controllers.get(id)?.abort(msg[2]);
    post([ToPool.CancelAck, id]);
    return;
  }
  onCalls(msg);
});
