/**
 * `@fox/sdk/testing`: what a project needs to test its own fox code without waiting on the
 * wall clock. Fox's time-based parts read time through a {@link Clock}; tests hand them a
 * fake one.
 *
 * ```ts
 * import type { Clock } from '@fox/sdk/testing';
 * ```
 */
export type { Clock, TimerHandle } from '../clock/clock.js';
export { systemClock } from '../clock/clock.js';
export { createFakeClock, type FakeClock, type FakeClockOptions } from './fake-clock.js';
