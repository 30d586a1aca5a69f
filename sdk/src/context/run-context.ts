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
 * - `'sampled'` (the default while a profiler is connected): AsyncLocalStorage is enabled only
 *   while calls sampled as root spans are running, and for at most 100 ms of each second. A
 *   sampled root opens it before it starts, so its whole tree is tracked; the process pays the
 *   hook cost for the time sampled trees run, not for a fixed share of the time;
 * - `true` (`fox.configure({ asyncContext: true })`): always enabled — `fox.context()` is exact
 *   after any await, at the full cost.
 */

export type AsyncContextMode = boolean | 'sampled';

let syncCurrent: Call | undefined;
let storage: AsyncLocalStorage<Call> | undefined;
/** Whether the storage is enabled right now (always, or while sampled roots run). */
let open = false;
let mode: AsyncContextMode = false;

/** In `'sampled'` mode: at most this much open time per period. */
const BUDGET_MS = 100;
const PERIOD_MS = 1000;
let usedMs = 0;
let periodTimer: ReturnType<typeof setInterval> | undefined;
let openSince = 0;
/** Sampled root calls in flight (each entered once, left once). */
let sampledRoots = 0;
let budgetTimer: ReturnType<typeof setTimeout> | undefined;

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

/**
 * Whether a call starting now may become a root span with a complete tree. In `'sampled'`
 * mode: while this period's open-time budget lasts (the caller then {@link enterSampledRoot}s).
 * Two compares, no clock read: it runs on every call while a profiler is connected.
 */
export function canTrackTree(): boolean {
  return mode !== 'sampled' || usedMs < BUDGET_MS;
}

/** A call sampled as a root span starts: parents must be tracked across awaits until it ends. */
export function enterSampledRoot(): void {
  if (mode !== 'sampled') return;
  sampledRoots++;
  if (open) return;
  openStorage();
  openSince = performance.now();
  // A long sampled call must not keep the hooks on past the budget: close at the limit (its
  // tree is then cut there, as a window's end would cut it).
  budgetTimer = setTimeout(closeSampled, Math.max(1, BUDGET_MS - usedMs));
  budgetTimer.unref();
}

/** The sampled root call ended. */
export function leaveSampledRoot(): void {
  if (mode !== 'sampled' || sampledRoots === 0) return;
  if (--sampledRoots === 0) closeSampled();
}

function closeSampled(): void {
  if (budgetTimer) clearTimeout(budgetTimer);
  budgetTimer = undefined;
  if (!open) return;
  usedMs += performance.now() - openSince;
  closeStorage();
}

/** Sets how the current call is tracked across awaits, for the whole process. */
export function setAsyncContext(next: AsyncContextMode): void {
  if (next === mode) return;
  closeSampled();
  if (periodTimer) clearInterval(periodTimer);
  periodTimer = undefined;
  sampledRoots = 0;
  usedMs = 0;
  mode = next;
  if (next === true) openStorage();
  else closeStorage();
  if (next === 'sampled') {
    periodTimer = setInterval(newPeriod, PERIOD_MS);
    periodTimer.unref();
  }
}

function newPeriod(): void {
  usedMs = 0;
  if (!open) return;
  // Time open so far belongs to the period that ended; the budget timer restarts in full.
  openSince = performance.now();
  if (budgetTimer) clearTimeout(budgetTimer);
  budgetTimer = setTimeout(closeSampled, BUDGET_MS);
  budgetTimer.unref();
}

export function asyncContextMode(): AsyncContextMode {
  return mode;
}

/** Whether parents are tracked across awaits right now. */
export function asyncContextOpen(): boolean {
  return open;
}

function openStorage(): void {
  storage ??= new AsyncLocalStorage<Call>();
  open = true;
}

function closeStorage(): void {
  if (!open) return;
  open = false;
  // Removes the promise hooks until the storage is used again; `run()` enables them.
  storage?.disable();
}
