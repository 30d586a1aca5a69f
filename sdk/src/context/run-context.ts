import { AsyncLocalStorage } from 'node:async_hooks';
import { processSlot } from '../state/process-state.js';
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

/** In `'sampled'` mode: at most this much open time per period. */
const BUDGET_MS = 100;
const PERIOD_MS = 1000;

/**
 * One context for the process, shared by every copy of the sdk (see process-state.ts): a call
 * of a task created through one copy is the parent of a nested call made through the other,
 * and `fox.configure({ asyncContext })` reaches the tasks of both.
 */
const s = processSlot('context.v1', () => ({
  syncCurrent: undefined as Call | undefined,
  storage: undefined as AsyncLocalStorage<Call> | undefined,
  /** Whether the storage is enabled right now (always, or while sampled roots run). */
  open: false,
  mode: false as AsyncContextMode,
  usedMs: 0,
  periodTimer: undefined as ReturnType<typeof setInterval> | undefined,
  openSince: 0,
  /** Sampled root calls in flight (each entered once, left once). */
  sampledRoots: 0,
  budgetTimer: undefined as ReturnType<typeof setTimeout> | undefined,
}));

/** The call running now, or undefined outside any fox call. */
export function currentCall(): Call | undefined {
  return s.open ? (s.storage!.getStore() ?? s.syncCurrent) : s.syncCurrent;
}

/** Runs `fn` (synchronously) as `call`; nested fox calls see it as their parent. */
export function runAs<T>(call: Call, fn: (call: Call) => T): T {
  if (s.open) return s.storage!.run(call, fn, call);
  const previous = s.syncCurrent;
  s.syncCurrent = call;
  try {
    return fn(call);
  } finally {
    s.syncCurrent = previous;
  }
}

/**
 * Whether a call starting now may become a root span with a complete tree. In `'sampled'`
 * mode: while this period's open-time budget lasts (the caller then {@link enterSampledRoot}s).
 * Two compares, no clock read: it runs on every call while a profiler is connected.
 */
export function canTrackTree(): boolean {
  return s.mode !== 'sampled' || s.usedMs < BUDGET_MS;
}

/** A call sampled as a root span starts: parents must be tracked across awaits until it ends. */
export function enterSampledRoot(): void {
  if (s.mode !== 'sampled') return;
  s.sampledRoots++;
  if (s.open) return;
  openStorage();
  s.openSince = performance.now();
  // A long sampled call must not keep the hooks on past the budget: close at the limit (its
  // tree is then cut there, as a window's end would cut it).
  s.budgetTimer = setTimeout(closeSampled, Math.max(1, BUDGET_MS - s.usedMs));
  s.budgetTimer.unref();
}

/** The sampled root call ended. */
export function leaveSampledRoot(): void {
  if (s.mode !== 'sampled' || s.sampledRoots === 0) return;
  if (--s.sampledRoots === 0) closeSampled();
}

function closeSampled(): void {
  if (s.budgetTimer) clearTimeout(s.budgetTimer);
  s.budgetTimer = undefined;
  if (!s.open) return;
  s.usedMs += performance.now() - s.openSince;
  closeStorage();
}

/** Sets how the current call is tracked across awaits, for the whole process. */
export function setAsyncContext(next: AsyncContextMode): void {
  if (next === s.mode) return;
  closeSampled();
  if (s.periodTimer) clearInterval(s.periodTimer);
  s.periodTimer = undefined;
  s.sampledRoots = 0;
  s.usedMs = 0;
  s.mode = next;
  if (next === true) openStorage();
  else closeStorage();
  if (next === 'sampled') {
    s.periodTimer = setInterval(newPeriod, PERIOD_MS);
    s.periodTimer.unref();
  }
}

function newPeriod(): void {
  s.usedMs = 0;
  if (!s.open) return;
  // Time open so far belongs to the period that ended; the budget timer restarts in full.
  s.openSince = performance.now();
  if (s.budgetTimer) clearTimeout(s.budgetTimer);
  s.budgetTimer = setTimeout(closeSampled, BUDGET_MS);
  s.budgetTimer.unref();
}

export function asyncContextMode(): AsyncContextMode {
  return s.mode;
}

/** Whether parents are tracked across awaits right now. */
export function asyncContextOpen(): boolean {
  return s.open;
}

function openStorage(): void {
  s.storage ??= new AsyncLocalStorage<Call>();
  s.open = true;
}

function closeStorage(): void {
  if (!s.open) return;
  s.open = false;
  // Removes the promise hooks until the storage is used again; `run()` enables them.
  s.storage?.disable();
}
