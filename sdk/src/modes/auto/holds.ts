import type { ConcreteMode } from '../../protocol/modes.js';
import type { Hold, Learned, Shape } from './auto-state.js';
import type { AutoThresholds } from './decision-rule.js';

/**
 * Holds: modes auto does not propose again for a while (they lost a trial, were denied, or wait
 * for people), for calls of the shape they were proposed on; and the drift test that tells calls
 * of another shape. Pure functions over auto's {@link Learned} state.
 */

/** Windows a mode that lost its trial or was denied is not proposed again (doubles each time). */
export const HOLD_WINDOWS = 64;

/**
 * Holds `mode` off for a while, twice as long as the last time it was held, for calls shaped
 * like `shape` (measured in `measuredIn`; no shape: for any calls).
 */
export function hold(
  learned: Learned,
  t: AutoThresholds,
  mode: ConcreteMode,
  shape: Shape | undefined,
  measuredIn: ConcreteMode,
): Learned {
  const last = learned.holds[mode];
  const span = Math.min(t.recheckMax, last ? last.span * 2 : HOLD_WINDOWS);
  const h: Hold = { until: learned.windows + span, span, shape, measuredIn };
  return { ...learned, holds: { ...learned.holds, [mode]: h } };
}

/**
 * Whether `mode` is held off for calls like `e` (measured in `current`). Calls of another
 * shape (fan-out across a threshold, or time to the first await 2× off, when both were
 * measured on this thread) may try it again at once: one window's 2× swing is not enough,
 * since a switch needs `confirm` windows in a row that want it.
 */
export function isHeld(
  learned: Learned,
  mode: ConcreteMode,
  e: Shape,
  current: ConcreteMode,
  t: AutoThresholds,
): boolean {
  const h = learned.holds[mode];
  if (h === undefined || learned.windows >= h.until) return false;
  if (!h.shape) return true;
  const sync = current !== 'tfox' && h.measuredIn !== 'tfox';
  return !drifted(t, e, h.shape, { sync, wall: false });
}

/**
 * Whether the cheap timings moved away from `then`'s: the fan-out across the mfox thresholds,
 * or (as asked) the time to the first await or the wall time by more than 2× (ignoring
 * changes below `demoteMs`, which are noise at these sizes).
 */
export function drifted(
  t: AutoThresholds,
  e: Shape,
  then: Shape,
  compare: { sync: boolean; wall: boolean },
): boolean {
  const moved = (a: number, b: number): boolean =>
    Math.abs(a - b) >= t.demoteMs && (a > 2 * b || b > 2 * a);
  const side = (fanOut: number): number =>
    fanOut >= t.fanOut ? 2 : fanOut >= t.leaveFanOut ? 1 : 0;
  return (
    (compare.sync && moved(e.syncMs, then.syncMs)) ||
    (compare.wall && moved(e.wallMs, then.wallMs)) ||
    side(e.fanOut) !== side(then.fanOut)
  );
}
