/**
 * Time source for every time-based part of Fox: policies, strategies, chaos, the exporter and
 * the guardian all take one, so a test drives them all from one fake. Production code uses
 * {@link systemClock}; tests use `createFakeClock()` from `@fox/sdk/testing`.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional): for durations and deadlines. */
  now(): number;
  /**
   * Milliseconds since the Unix epoch: for timestamps that are stored, sent or compared across
   * processes (audit entries, proposal expiry, wire frames). Not monotonic.
   */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  unref?(): unknown;
}

/** The real clock. Reads globals at call time, so fake timers installed later still apply. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A timer that fires every `ms` until cancelled. */
export interface RepeatingTimer {
  cancel(): void;
}

/**
 * Calls `fn` every `ms` on `clock`, re-arming a timeout after each call (so a fake clock drives
 * it like any timeout, and a slow `fn` delays the next call instead of piling calls up). The
 * timer is unref'd: it never keeps the process alive.
 */
export function repeatEvery(clock: Clock, ms: number, fn: () => void): RepeatingTimer {
  let handle: TimerHandle | undefined;
  let cancelled = false;
  const arm = () => {
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      try {
        fn();
      } finally {
        if (!cancelled) arm();
      }
    }, ms);
    handle.unref?.();
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      if (handle !== undefined) clock.clearTimeout(handle);
    },
  };
}
