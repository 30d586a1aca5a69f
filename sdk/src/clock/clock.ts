/**
 * Time source for every time-based part of Fox. Production code uses {@link systemClock};
 * tests inject a fake (e.g. `@sinonjs/fake-timers`, which also fakes `performance.now`).
 */
export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  unref?(): unknown;
}

/** The real clock. Reads globals at call time, so fake timers installed later still apply. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
