/**
 * The pool's dispatch arithmetic, pure: how many calls a worker may hold, how many go out per
 * message, which worker takes the next call, and when to add a worker. pool.ts applies it;
 * test/tfox/dispatch-plan.test.ts states its invariants with fast-check.
 */

/** `concurrentTasksPerWorker`: adaptive, or a fixed number of calls in flight per worker. */
export type WindowSetting = 'auto' | number;

/** Calls a worker's loop should be kept busy for, in ms, with the adaptive window. */
export const TARGET_WINDOW_MS = 16;
/** Messaging and bookkeeping per call in a worker, added to its measured time. */
export const PER_CALL_OVERHEAD_MS = 0.001;
/** Bounds of the adaptive window. */
export const MIN_WINDOW = 2;
export const MAX_WINDOW = 1024;

/** How a flush hands out queued calls (see {@link dispatchWindow}). */
export interface DispatchWindow {
  /** Calls per message to a worker. */
  readonly chunk: number;
  /** Most calls a worker holds after this flush. */
  readonly window: number;
  /** A worker takes calls in this flush only while it holds at most this many. */
  readonly refillAt: number;
}

/**
 * The moving estimate of one call's service time in a worker (ms), after a results message
 * reporting `busyMs` of loop time for `calls` calls; `previous` < 0 means no estimate yet. It
 * follows the time calls hold a worker's loop, not their wall time: a call waiting on I/O costs
 * the worker nothing, so many can be in flight.
 */
export function nextServiceMs(previous: number, busyMs: number, calls: number): number {
  if (calls <= 0) return previous;
  const per = busyMs / calls + PER_CALL_OVERHEAD_MS;
  return previous < 0 ? per : previous * 0.8 + per * 0.2;
}

/**
 * Calls in flight per worker: short calls pipeline deeply, long ones stay shallow. Adaptive:
 * enough calls to keep a worker busy for ~{@link TARGET_WINDOW_MS} ms, so messaging, and waking
 * the pool's thread, which takes a core from the workers, is amortised (on a 2-core VM a
 * wake-up cost ~0.2 ms of CPU; windows of 8, 16 and 32 ms gave 95, 96 and 97% of two bare
 * threads' throughput). `serviceMs` < 0 (nothing measured yet): {@link MIN_WINDOW}.
 */
export function callsPerWorker(setting: WindowSetting, serviceMs: number): number {
  if (setting !== 'auto') return setting;
  if (serviceMs < 0) return MIN_WINDOW;
  return Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, Math.ceil(TARGET_WINDOW_MS / serviceMs)));
}

/**
 * How a flush of `queued` calls to `accepting` workers hands them out. With the adaptive
 * window, calls go out in messages of up to half of it, to workers with room for one: a worker
 * then holds its next message while it runs the current one, and the pool's thread is woken
 * once per message, not once per result. As the queue drains, messages and windows shrink to a
 * share of what is left (guided self-scheduling), so the workers run out of calls together
 * instead of one finishing a last big message alone. A fixed setting is taken as it is.
 */
export function dispatchWindow(
  setting: WindowSetting,
  cap: number,
  queued: number,
  accepting: number,
): DispatchWindow {
  if (setting !== 'auto') return { chunk: cap, window: cap, refillAt: cap - 1 };
  const share = Math.ceil(queued / (2 * Math.max(1, accepting)));
  const chunk = Math.max(1, Math.min(Math.ceil(cap / 2), share));
  const window = Math.min(cap, 2 * chunk);
  return { chunk, window, refillAt: window - chunk };
}

/**
 * The worker that takes the next call: the least loaded (the first of equals), or -1 when none
 * has room below `window`. `loads` are the calls each open worker holds.
 */
export function pickWorker(loads: readonly number[], window: number): number {
  let best = -1;
  for (let i = 0; i < loads.length; i++) if (best < 0 || loads[i]! < loads[best]!) best = i;
  return best >= 0 && loads[best]! < window ? best : -1;
}

/**
 * The workers `calls` queued calls go to, in order, as a flush assigns them (one
 * {@link pickWorker} per call, the load of the chosen worker growing by one): fewer entries than
 * `calls` when the workers' windows fill up first. `loads` is not changed.
 */
export function planDispatch(loads: readonly number[], window: number, calls: number): number[] {
  const now = loads.slice();
  const plan: number[] = [];
  while (plan.length < calls) {
    const k = pickWorker(now, window);
    if (k < 0) break;
    now[k]!++;
    plan.push(k);
  }
  return plan;
}

/** What {@link shouldGrow} looks at after a flush left calls queued. */
export interface GrowthState {
  /** Workers taking calls, and the most the pool may have. */
  readonly accepting: number;
  readonly maxThreads: number;
  /** Workers taking calls that are still importing task modules. */
  readonly importing: number;
  /** Whether a worker taking calls has finished its imports. */
  readonly anyReady: boolean;
  readonly queued: number;
  readonly window: number;
}

/**
 * Whether to add a worker when calls are still queued after a flush (every worker holds a
 * message beyond the one it runs). Workers still importing take a window of calls each once
 * ready, so the pool grows only beyond that.
 */
export function shouldGrow(s: GrowthState): boolean {
  if (s.queued <= 0 || s.accepting >= s.maxThreads) return false;
  return !(s.anyReady && s.queued <= s.importing * s.window);
}
