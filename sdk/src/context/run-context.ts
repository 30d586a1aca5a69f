import { AsyncLocalStorage } from 'node:async_hooks';
import type { Call } from '../task/call.js';

/**
 * Which fox call is running now, so a nested call knows its parent (the span tree).
 *
 * AsyncLocalStorage is not free on Node 20: while it is enabled, promise hooks slow down *every*
 * await in the process (measured here: a bare `await fn()` goes from ≈90 ns to ≈270 ns, and an
 * sfox call about doubles). So there are three levels:
 *
 * - always: the current call is tracked during the synchronous part of each call (free, and
 *   exact for calls made before the function's first `await`);
 * - `'windows'` (the default while a profiler is connected): AsyncLocalStorage is enabled in
 *   short windows (100 ms of every second). Root spans are only sampled inside a window, so the
 *   sampled trees are complete, while the process pays the hook cost a tenth of the time;
 * - `true` (`fox.configure({ asyncContext: true })`): always enabled — `fox.context()` is exact
 *   after any await, at the full cost.
 */

export type AsyncContextMode = boolean | 'windows';

let syncCurrent: Call | undefined;
let storage: AsyncLocalStorage<Call> | undefined;
/** Whether the storage is enabled right now (always, or inside a window). */
let open = false;
let mode: AsyncContextMode = false;
let windowTimer: ReturnType<typeof setInterval> | undefined;

const WINDOW_PERIOD_MS = 1000;
const WINDOW_OPEN_MS = 100;

/** The call running now, or undefined outside any fox call. */
export function currentCall(): Call | undefined {
  return open ? (storage!.getStore() ?? syncCurrent) : syncCurrent;
}

/** Runs `fn` (synchronously) as `call`; nested fox calls see it as their parent. */
export function runAs<T>(call: Call, fn: (call: Call) => T): T {
  if (open) return storage!.run(call, fn, call);
  const previous = syncCurrent;
  syncCurrent = call;
  try {
    return fn(call);
  } finally {
    syncCurrent = previous;
  }
}

/** Whether parents are tracked across awaits right now (so a new root span would be complete). */
export function asyncContextOpen(): boolean {
  return open;
}

/** Sets how the current call is tracked across awaits, for the whole process. */
export function setAsyncContext(next: AsyncContextMode): void {
  if (next === mode) return;
  mode = next;
  if (windowTimer) clearInterval(windowTimer);
  windowTimer = undefined;
  if (next === false) {
    closeStorage();
    return;
  }
  openStorage();
  if (next === 'windows') {
    windowTimer = setInterval(() => {
      openStorage();
      setTimeout(closeStorage, WINDOW_OPEN_MS).unref();
    }, WINDOW_PERIOD_MS);
    windowTimer.unref();
    setTimeout(() => mode === 'windows' && closeStorage(), WINDOW_OPEN_MS).unref();
  }
}

export function asyncContextMode(): AsyncContextMode {
  return mode;
}

function openStorage(): void {
  storage ??= new AsyncLocalStorage<Call>();
  open = true;
}

function closeStorage(): void {
  if (!open) return;
  open = false;
  // Removes the promise hooks until the next window; `run()` enables them again.
  storage?.disable();
}
