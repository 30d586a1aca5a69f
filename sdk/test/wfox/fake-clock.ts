import { createClock } from '@sinonjs/fake-timers';
import type { Clock, TimerHandle } from '../../src/clock/clock.js';

export interface TestClock extends Clock {
  /** Moves fake time forward, firing due timers. */
  tick(ms: number): void;
}

/** A Clock over a `@sinonjs/fake-timers` clock: time moves only with `tick`. */
export function fakeClock(): TestClock {
  const fake = createClock(0);
  type Id = Parameters<typeof fake.clearTimeout>[0];
  return {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms) as unknown as TimerHandle,
    clearTimeout: (h) => fake.clearTimeout(h as unknown as Id),
    tick: (ms) => {
      fake.tick(ms);
    },
  };
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await null;
}
