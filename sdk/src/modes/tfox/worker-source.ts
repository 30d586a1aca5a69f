/**
 * The worker's bootstrap, an ES module run from a `data:` URL. A data URL (rather than a file
 * next to the bundle) keeps the sdk one file per format: the ESM and CJS bundles start the
 * same worker without knowing where they were installed, and bundlers need no extra entry.
 *
 * Wire format (arrays, not objects: they clone faster and this is the hot path):
 * - parent → worker `[0, defs, ...calls]`: `defs` is `[index, moduleUrl, locationKey, names,
 *   taskId][]` for functions this worker has not seen (or null); each call is the four entries
 *   `id, fnIndex, args, flags`.
 *   flags: 1 = an AbortSignal placeholder is in the args, 2 = measure the synchronous time.
 * - parent → worker `[1, id, reason]`: abort that call's signal (cooperative cancel).
 * - worker → parent `[0, busyMs, calls, ...results]`: `busyMs` is the time `calls` calls begun
 *   since the last such message held the event loop (the pool sizes its per-worker window from
 *   it); each result is `id, status, value` (status: 0 ok, 1 threw, 2 result not cloneable,
 *   3 not exported, 4 load failed, 5 load timed out), and for calls with flag 2 the status has
 *   8 added and `syncMs, wallMs` follow. Timing per batch, not per call, keeps two clock reads
 *   and two doubles per call off the hot path. A failure's value is an error as data (see
 *   `SerializedError` in revive-error.ts): name, message, the worker's stack, own enumerable
 *   fields, `fox` for Fox's errors (the brand), the built-in class, and `cause` (and an
 *   AggregateError's `errors`) the same way, 8 levels deep at most.
 * - worker → parent `[1, id]`: the cancel arrived (the worker's event loop is not blocked).
 * - worker → parent `[2, heapBytes]`: over its memory budget; please recycle me (sent before
 *   the results whose calls grew it).
 * - worker → parent `[3, fnIndex, status, waitingCalls]`: a function's module finished loading
 *   (status 0) or failed (3, 4, 5 as above); `waitingCalls` calls had arrived before it and
 *   waited. A parent → worker message with `defs` and no calls (prewarm) starts the imports.
 * `started[0]` (shared memory) counts calls the worker has begun, so after a crash the pool
 * knows which calls never started and can run them elsewhere instead of failing them.
 */
export const WORKER_SOURCE = String.raw`
import { parentPort, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';

const SIGNAL = '\u0000fox:signal';
const registry = (globalThis[Symbol.for('fox.tfox.worker')] = new Map());
const moved = (globalThis[Symbol.for('fox.moved')] ??= { set: new WeakSet(), count: 0 });
const started = new Int32Array(workerData.started);
const fns = new Map();
const controllers = new Map();
let out = [0, 0, 0];
let transfer = [];
let busy = 0;
let begun = 0;
let inBatch = false;
let flushQueued = false;
let startedCount = 0;
// Calls begun whose result is not yet queued for the parent: when the last one finishes there
// is nothing to wait for, so its result goes out at once instead of at the end of the tick.
let running = 0;
const maxHeapBytes = workerData.maxHeapBytes;
const heapCheckIntervalMs = workerData.heapCheckIntervalMs;
let heapCheckedAt = -Infinity;
const REPORT_EVERY_MS = 2;

if (workerData.tsx) {
  const api = await import(workerData.tsx);
  (api.register ?? api.default?.register)();
}

const FOX_ERROR = Symbol.for('fox.error');
const BUILTIN_ERRORS = new Set(['EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'DOMException']);
const MAX_ERROR_DEPTH = 8;
const MAX_AGGREGATED = 32;

function isError(v) {
  return v instanceof Error || Object.prototype.toString.call(v) === '[object Error]';
}

// The nearest built-in class in the error's prototype chain, so the parent re-creates it as that
// class (a user's class extending TypeError is still instanceof TypeError there).
function builtinOf(err) {
  for (let p = Object.getPrototypeOf(err); p; p = Object.getPrototypeOf(p)) {
    const c = Object.prototype.hasOwnProperty.call(p, 'constructor') ? p.constructor : undefined;
    if (c && BUILTIN_ERRORS.has(c.name) && globalThis[c.name] === c) return c.name;
  }
  return undefined;
}

function serialize(err, depth = 0) {
  if (isError(err)) {
    const props = {};
    for (const k of Object.keys(err)) {
      if (k === 'cause') continue;
      try { props[k] = structuredClone(err[k]); } catch { /* not cloneable: dropped */ }
    }
    const out = { name: err.name, message: err.message, stack: err.stack, props };
    if (err[FOX_ERROR] === true) out.fox = true;
    const builtin = builtinOf(err);
    if (builtin) out.builtin = builtin;
    if (depth < MAX_ERROR_DEPTH) {
      if ('cause' in err) out.cause = serialize(err.cause, depth + 1);
      if (builtin === 'AggregateError' && Array.isArray(err.errors))
        out.errors = err.errors.slice(0, MAX_AGGREGATED).map((e) => serialize(e, depth + 1));
    }
    return out;
  }
  try { return { value: structuredClone(err) }; } catch { return { value: String(err) }; }
}

function describe(ns) {
  const keys = Object.keys(ns);
  return keys.length ? keys.join(', ') : 'none';
}

function find(ns, fn, names) {
  const scopes = [ns];
  if (ns.default && (typeof ns.default === 'object' || typeof ns.default === 'function')) scopes.push(ns.default);
  for (const scope of scopes) {
    for (const key of Object.keys(scope)) {
      let v;
      try { v = scope[key]; } catch { continue; }
      if (fn && v === fn) return { fn, self: undefined };
      if (fn && v && (typeof v === 'function' || typeof v === 'object')) {
        for (const m of Object.getOwnPropertyNames(v)) {
          let mv;
          try { mv = v[m]; } catch { continue; }
          if (mv === fn) return { fn, self: v };
        }
      }
    }
  }
  if (fn) return undefined;
  for (const scope of scopes) {
    let self;
    let v = scope;
    for (const n of names) {
      if (v === null || v === undefined) break;
      self = v;
      v = v[n];
    }
    if (typeof v === 'function') return { fn: v, self: names.length > 1 ? self : undefined };
  }
  return undefined;
}

function define([index, url, key, names, taskId]) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject({ status: 5, error: serialize(new Error(
      'the module did not finish loading within ' + workerData.loadTimeoutMs + ' ms; it is probably an ' +
      "app's entry script or a bundle whose top level keeps running. Give tfox tasks their own module " +
      '(or a separate worker entry in a bundle) and point { module } at it')) }), workerData.loadTimeoutMs);
  });
  const load = import(url).then(
    (ns) => {
      const found = find(ns, registry.get(key), names);
      if (!found) {
        throw { status: 3, error: serialize(new Error(
          "'" + names.join('.') + "' is not among its exports (exports: " + describe(ns) +
          (ns.default ? '; default: ' + describe(ns.default) : '') + ')')) };
      }
      return found;
    },
    (err) => { throw { status: 4, error: serialize(err) }; },
  );
  const entry = { ready: undefined, failed: undefined, wait: undefined, waiting: 0 };
  entry.wait = Promise.race([load, timeout]).then(
    (found) => { entry.ready = found; },
    (failure) => { entry.failed = failure; },
  ).finally(() => {
    clearTimeout(timer);
    // Before the results of the calls that waited (their callbacks were chained later).
    parentPort.postMessage([3, index, entry.failed ? entry.failed.status : 0, entry.waiting]);
  });
  fns.set(index, entry);
  void taskId;
}

function done(id, status, value) {
  out.push(id, status, value);
  ended(status, value);
}

function doneTimed(id, status, value, sync, wall) {
  out.push(id, status | 8, value, sync, wall);
  ended(status, value);
}

function ended(status, value) {
  running--;
  if (moved.count > 0 && status === 0) collect(value);
  if (inBatch) return;
  if (running === 0) flush();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

function collect(value) {
  const add = (v) => {
    if (v === null || typeof v !== 'object' || !moved.set.has(v)) return;
    moved.set.delete(v);
    transfer.push(ArrayBuffer.isView(v) ? v.buffer : v);
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(add);
}

function flush() {
  flushQueued = false;
  if (out.length === 3) return;
  const batch = out;
  const list = transfer;
  batch[1] = busy;
  batch[2] = begun;
  out = [0, 0, 0];
  transfer = [];
  busy = 0;
  begun = 0;
  if (maxHeapBytes > 0) checkHeap();
  try {
    if (list.length === 0) parentPort.postMessage(batch);
    else parentPort.postMessage(batch, list);
  } catch {
    for (let i = 3; i < batch.length; ) {
      const status = batch[i + 1];
      if ((status & 7) === 0) {
        try { structuredClone(batch[i + 2]); } catch (err) { batch[i + 1] = status | 2; batch[i + 2] = serialize(err); }
      }
      i += status & 8 ? 5 : 3;
    }
    parentPort.postMessage(batch);
  }
}

// Before the results it follows, so the pool stops sending calls here before their callers
// (who may call again at once) hear back. At most every 100 ms: reading the heap statistics
// costs more than a short call.
function checkHeap() {
  const now = Date.now();
  if (now - heapCheckedAt < heapCheckIntervalMs) return;
  heapCheckedAt = now;
  const used = getHeapStatistics().used_heap_size;
  if (used > maxHeapBytes) parentPort.postMessage([2, used]);
}

function invoke(id, found, args, flags) {
  started[0] = ++startedCount;
  running++;
  const signal = flags & 1;
  if (signal) {
    const controller = new AbortController();
    controllers.set(id, controller);
    const last = args.length - 1;
    if (args[last] === SIGNAL) args[last] = controller.signal;
    else args[last] = { ...args[last], signal: controller.signal };
  }
  if (flags & 2) return invokeTimed(id, found, args, signal);
  let result;
  try {
    result = found.fn.apply(found.self, args);
  } catch (err) {
    if (signal) controllers.delete(id);
    return done(id, 1, serialize(err));
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    result.then(
      (v) => { if (signal) controllers.delete(id); done(id, 0, v); },
      (e) => { if (signal) controllers.delete(id); done(id, 1, serialize(e)); },
    );
  } else {
    if (signal) controllers.delete(id);
    done(id, 0, result);
  }
}

// Flag 2 (auto mode's evidence): this call's own loop time and wall time go back with it.
function invokeTimed(id, found, args, signal) {
  const t0 = performance.now();
  let result;
  try {
    result = found.fn.apply(found.self, args);
  } catch (err) {
    if (signal) controllers.delete(id);
    const t = performance.now() - t0;
    return doneTimed(id, 1, serialize(err), t, t);
  }
  const sync = performance.now() - t0;
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    result.then(
      (v) => { if (signal) controllers.delete(id); doneTimed(id, 0, v, sync, performance.now() - t0); },
      (e) => { if (signal) controllers.delete(id); doneTimed(id, 1, serialize(e), sync, performance.now() - t0); },
    );
  } else {
    if (signal) controllers.delete(id);
    doneTimed(id, 0, result, sync, sync);
  }
}

/** Runs a call if its module is loaded; 1 when it ran now (for the busy-time average). */
function start(id, index, args, flags) {
  const entry = fns.get(index);
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
  entry.wait.then(() => {
    inBatch = true;
    const t0 = performance.now();
    try { begun += start(id, index, args, flags); } finally {
      busy += performance.now() - t0;
      inBatch = false;
      flush();
    }
  });
  return 0;
}

// process.exit() in a task ends this thread; results already computed still get out.
process.on('exit', () => {
  try { flush(); } catch { /* the port is gone */ }
});

parentPort.on('message', (msg) => {
  if (msg[0] === 1) {
    const c = controllers.get(msg[1]);
    if (c) c.abort(msg[2]);
    parentPort.postMessage([1, msg[1]]);
    return;
  }
  const defs = msg[1];
  if (defs) for (const d of defs) define(d);
  inBatch = true;
  let last = performance.now();
  try {
    for (let i = 2; i < msg.length; i += 4) {
      begun += start(msg[i], msg[i + 1], msg[i + 2], msg[i + 3]);
      // Long calls: report results every 2 ms or so rather than once per message, so callers
      // hear back sooner, without waking the parent once per call.
      if (i + 4 < msg.length) {
        const now = performance.now();
        if (now - last > REPORT_EVERY_MS) {
          busy += now - last;
          last = now;
          flush();
        }
      }
    }
  } finally {
    inBatch = false;
    busy += performance.now() - last;
  }
  flush();
});
`;
