import type { ConcreteMode } from '../../protocol/modes.js';
import type { Instant, Learned } from './auto-state.js';
import { utilization } from './auto-sources.js';
import type { WindowEvidence } from './evidence-window.js';

/**
 * The baseline: runs of unsampled windows in one mode, long enough to measure the event loop's
 * utilization without the hooks' cost and the task's busy time per call (what a trial compares).
 * Pure functions over auto's {@link Learned} state.
 */

/**
 * An evaluation that has no unsampled measure in the mode in use starts with unsampled windows,
 * and a trial of a new mode measures it the same way: at least this many windows, covering at
 * least this many times the calls in flight. Windows close on completions, which come in bursts
 * while the loop handles them, so a short span would see the loop busier than it is. And
 * latency changes along a burst of calls (all start at once and contend, then fewer drain): two
 * spans of one or two generations compared a burst's start in one mode with its end in the
 * other (the io corpus tasks at fan-out 32–64 kept mfox 14–19% slower than sfox). Over eight
 * generations a span covers whole bursts; four still left the corpus's I/O tasks' trials
 * deciding on one burst's luck. A run of windows restarts only well after that.
 */
const BASELINE_WINDOWS = 3;
const BASELINE_GENERATIONS = 8;
/**
 * …and at least this much busy time, which is what a trial compares. Eight generations of the
 * corpus's mixed/hashThenStore (1 ms of hashing, then a 2 ms wait, 8 at a time) last ~100 ms,
 * and its sfox busy time per call over them came out 1.32–1.86 ms in successive runs; its trials
 * of tfox (really ~14% slower) measured 0.92–1.63× and kept tfox in 2 of 3 corpus runs. Over
 * 250 ms, four trials measured 1.17–1.23× and all went back.
 */
const BASELINE_BUSY_MS = 250;
/**
 * Spans of calls shorter than this (busy time per call) need no minimum time: 250 ms of them
 * would take thousands of calls, and light calls, the usual such tasks, are tried in no other
 * mode. No span waits for the minimum longer than BASELINE_BUSY_MAX_WINDOWS.
 */
const SHORT_CALL_MS = 0.1;
const BASELINE_BUSY_MAX_WINDOWS = 32;
const STRETCH_MAX_WINDOWS = 128;

/**
 * Extends the run of unsampled windows and, once it is long enough (see BASELINE_WINDOWS),
 * takes the loop utilization and the busy time per call over it. A run restarts after
 * STRETCH_MAX_WINDOWS so the values stay recent.
 */
export function measureFreeLoop(
  learned: Learned,
  e: WindowEvidence,
  mode: ConcreteMode,
  now: Instant,
): Learned {
  const atStart = learned.paceMark;
  const pace = { calls: now.task.calls, busyMs: now.task.busyMs };
  if (!e.unhooked) return { ...learned, paceMark: pace, stretch: undefined };
  const old = learned.stretch;
  const fresh = !old || old.mode !== mode || old.windows >= STRETCH_MAX_WINDOWS;
  const base = fresh
    ? { mode, since: e.eluAtStart, pace: atStart, windows: 0, calls: 0, busyMs: 0 }
    : old;
  const stretch = {
    ...base,
    windows: base.windows + 1,
    calls: base.calls + e.calls,
    busyMs: pace.busyMs - base.pace.busyMs,
  };
  const next: Learned = { ...learned, paceMark: pace, stretch };
  if (!baselineDone(next, mode, e.fanOut)) return next;
  const n = pace.calls - stretch.pace.calls;
  return {
    ...next,
    freeLoop: { busy: utilization(stretch.since, now.loop), mode },
    freePace:
      n > 0 ? { ms: (pace.busyMs - stretch.pace.busyMs) / n, calls: n, mode } : next.freePace,
  };
}

/** Whether the current unsampled run is long enough to measure the loop and the pace. */
export function baselineDone(learned: Learned, current: ConcreteMode, fanOut: number): boolean {
  const st = learned.stretch;
  return (
    st !== undefined &&
    st.mode === current &&
    st.windows >= BASELINE_WINDOWS &&
    st.calls >= BASELINE_GENERATIONS * fanOut &&
    (st.busyMs >= BASELINE_BUSY_MS ||
      st.busyMs < st.calls * SHORT_CALL_MS ||
      st.windows >= BASELINE_BUSY_MAX_WINDOWS)
  );
}
