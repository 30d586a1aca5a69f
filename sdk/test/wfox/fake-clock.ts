import { createFakeClock, type FakeClock } from '../../src/testing/fake-clock.js';

/** The published fake clock (`@fox/sdk/testing`), as these tests use it. */
export type TestClock = FakeClock;

/** A fake clock at 0: time moves only with `tick`. */
export function fakeClock(): TestClock {
  return createFakeClock();
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await null;
}
