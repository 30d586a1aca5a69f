import type { Clock, TimerHandle } from '../clock/clock.js';

/** Where a {@link FakeClock} starts. */
export interface FakeClockOptions {
  /** The monotonic reading (`now()`) at creation. Default 0. */
  now?: number;
  /** The wall-clock reading (`wallNow()`) at creation, in epoch ms. Default 0 (1970-01-01). */
  wallNow?: number;
}

/**
 * A {@link Clock} whose time moves only when the test says so. Both readings (`now` and
 * `wallNow`) advance together; timers fire in due order, each at its own time, as time passes.
 */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order, with `now()` set to
   * its due time. Timers scheduled by those callbacks fire too when they fall inside `ms`.
   * Promise callbacks do not run in between: use {@link FakeClock.tickAsync} for code that
   * awaits between timers.
   */
  tick(ms: number): void;
  /**
   * Like {@link FakeClock.tick}, but lets the event loop turn before and after each timer, so
   * promise chains and awaits started by one timer settle before the next timer fires.
   */
  tickAsync(ms: number): Promise<void>;
  /** Fires timers, due or not, until none is left (or `limit` have fired); returns the count. */
  runAll(limit?: number): number;
  /** How many timers are scheduled and not yet fired or cleared. */
  pendingTimers(): number;
}

interface FakeTimer extends TimerHandle {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * Creates a fake clock for tests of code that takes a `Clock` (policies, strategies, chaos,
 * the exporter, the guardian). No global is patched: only the code handed this clock sees
 * fake time.
 *
 * @example
 * import { createFakeClock } from '@fox/sdk/testing';
 *
 * const clock = createFakeClock();
 * let fired = false;
 * clock.setTimeout(() => (fired = true), 1_000);
 * clock.tick(999); // fired === false
 * clock.tick(1); // fired === true, clock.now() === 1_000
 */
export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  const start = options.now ?? 0;
  const wallStart = options.wallNow ?? 0;
  let now = start;
  let seq = 0;
  // Few timers are pending at once in a test; a sorted array keeps firing order obvious.
  let timers: FakeTimer[] = [];

  const next = (until: number): FakeTimer | undefined => {
    const first = timers[0];
    return first !== undefined && first.due <= until ? first : undefined;
  };
  const fire = (timer: FakeTimer): void => {
    timers = timers.filter((t) => t !== timer);
    now = Math.max(now, timer.due);
    timer.fn();
  };

  const clock: FakeClock = {
    now: () => now,
    wallNow: () => wallStart + (now - start),
    setTimeout(fn, ms) {
      const timer: FakeTimer = {
        due: now + Math.max(0, Number.isFinite(ms) ? ms : 0),
        seq: seq++,
        fn,
        unref: () => timer,
      };
      timers = [...timers, timer].sort((a, b) => a.due - b.due || a.seq - b.seq);
      return timer;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t !== handle);
    },
    tick(ms) {
      const until = now + ms;
      for (let t = next(until); t; t = next(until)) fire(t);
      now = until;
    },
    async tickAsync(ms) {
      const until = now + ms;
      await turn();
      for (let t = next(until); t; t = next(until)) {
        fire(t);
        await turn();
      }
      now = until;
    },
    runAll(limit = 10_000) {
      let count = 0;
      for (let t = timers[0]; t && count < limit; t = timers[0], count++) fire(t);
      return count;
    },
    pendingTimers: () => timers.length,
  };
  return clock;
}

/** One turn of the real event loop: every queued promise callback runs before it ends. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
