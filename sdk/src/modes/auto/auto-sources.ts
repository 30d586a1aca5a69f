import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../clock/clock.js';
import type { LoopCounters } from './auto-state.js';

/**
 * What auto reads besides the calls it measures: time (how long a window lasted, when a
 * proposal was made) and the event loop's idle/active counters. Injected, so a test drives both;
 * a call's own sync and wall time stay on `performance.now()`, since no fake clock advances
 * while the user's code runs.
 */
export interface AutoSources {
  readonly clock: Clock;
  /** The loop's cumulative idle and active time, ms (`performance.eventLoopUtilization()`). */
  loop(): LoopCounters;
}

/** The real event loop's counters. */
export function systemLoopCounters(): LoopCounters {
  return performance.eventLoopUtilization();
}

/** Auto's sources on `clock` and the real event loop. */
export function autoSources(clock: Clock = systemClock): AutoSources {
  return { clock, loop: systemLoopCounters };
}

/** The loop's utilization between two readings of its counters, 0..1. */
export function utilization(since: LoopCounters, now: LoopCounters): number {
  const active = now.active - since.active;
  const total = active + now.idle - since.idle;
  return total > 0 ? active / total : 0;
}
