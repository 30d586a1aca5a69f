import { AsyncLocalStorage } from 'node:async_hooks';
import type { Call } from '../task/call.js';

/**
 * Which fox call is running now, so a nested call knows its parent (the span tree).
 *
 * Two levels, because AsyncLocalStorage is not free on Node 20: enabling it installs promise
 * hooks that slow down *every* await in the process (measured here: a bare `await fn()` goes
 * from ≈90 ns to ≈270 ns, and `als.run` adds ≈350 ns per call). So by default Fox tracks the
 * current call during the synchronous part of each call (free, and exact for calls made before
 * the first `await`), and switches to AsyncLocalStorage — exact across awaits — when something
 * needs the full span tree: the profiler exporter, OpenTelemetry, or
 * `fox.configure({ asyncContext: true })`.
 */

let syncCurrent: Call | undefined;
let storage: AsyncLocalStorage<Call> | undefined;

/** The call running now, or undefined outside any fox call. */
export function currentCall(): Call | undefined {
  return storage ? (storage.getStore() ?? syncCurrent) : syncCurrent;
}

/** Runs `fn` (synchronously) as `call`; nested fox calls see it as their parent. */
export function runAs<T>(call: Call, fn: (call: Call) => T): T {
  if (storage) return storage.run(call, fn, call);
  const previous = syncCurrent;
  syncCurrent = call;
  try {
    return fn(call);
  } finally {
    syncCurrent = previous;
  }
}

/** Turns exact async context tracking on or off for the whole process. */
export function setAsyncContext(enabled: boolean): void {
  if (enabled && !storage) storage = new AsyncLocalStorage<Call>();
  else if (!enabled && storage) {
    storage.disable();
    storage = undefined;
  }
}

export function asyncContextEnabled(): boolean {
  return storage !== undefined;
}
