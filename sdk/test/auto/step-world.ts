import type { AutoAction, AutoInput, AutoState, Instant } from '../../src/modes/auto/auto-state.js';
import { isSampling } from '../../src/modes/auto/auto-state.js';
import { initialState, step } from '../../src/modes/auto/auto-step.js';
import { DEFAULT_THRESHOLDS, type AutoThresholds } from '../../src/modes/auto/decision-rule.js';
import type { WindowEvidence } from '../../src/modes/auto/evidence-window.js';
import type { ProposalDecision } from '../../src/modes/auto/proposals.js';
import type { ConcreteMode } from '../../src/protocol/modes.js';

/**
 * A fake world for auto's pure state machine: the mode in use, the event loop's counters and the
 * task's counters, all moved only by the test. Windows of a workload advance them as the
 * adapter's measures would, so a table of workloads runs in no real time.
 */

/** How one window of calls looks in a mode. */
export interface Calls {
  /** Time to the first await, ms (in tfox: as the worker reports it). */
  syncMs: number;
  /** Longest synchronous segment when sampled (default syncMs). */
  longestMs?: number;
  wallMs?: number;
  ioShare?: number;
  waitMs?: number;
  fanOut?: number;
  /** The task's busy time per call in this mode, ms (default wallMs). */
  paceMs?: number;
  /** Event-loop utilization over the window (default: the calls' loop time over their wall). */
  loopBusy?: number;
}

/** What the calls look like in each mode. */
export type Workload = (mode: ConcreteMode) => Calls;

/** How the guardian answers proposals. */
export type Answer = ProposalDecision | 'failed';

export interface World {
  state: AutoState;
  mode: ConcreteMode;
  loop: { idle: number; active: number };
  task: { calls: number; busyMs: number; started: number };
  /** Every action so far, with the phase the machine was in before the step that made it. */
  log: { before: AutoState; input: AutoInput; actions: AutoAction[] }[];
  /** Proposals made, in order. */
  proposals: { from: ConcreteMode; to: ConcreteMode; reason: string }[];
  thresholds: AutoThresholds;
}

export function newWorld(
  mode: ConcreteMode = 'sfox',
  thresholds: AutoThresholds = DEFAULT_THRESHOLDS,
): World {
  return {
    state: initialState(thresholds).state,
    mode,
    loop: { idle: 0, active: 0 },
    task: { calls: 0, busyMs: 0, started: 0 },
    log: [],
    proposals: [],
    thresholds,
  };
}

export function instant(w: World): Instant {
  return { mode: w.mode, loop: { ...w.loop }, task: { ...w.task } };
}

/**
 * Feeds one input. A proposal is answered at once by `answer` (applied: the mode changes, as the
 * adapter's strategy switch would), and the outcome is fed back.
 */
export function feed(w: World, input: AutoInput, answer: Answer = 'applied'): AutoAction[] {
  const before = w.state;
  const next = step(before, input, instant(w));
  w.state = next.state;
  w.log.push({ before, input, actions: next.actions });
  for (const a of next.actions) {
    if (a.kind !== 'propose') continue;
    w.proposals.push({ from: w.mode, to: a.to, reason: a.reason });
    if (answer === 'failed') feed(w, { kind: 'failed', error: 'no module' });
    else {
      if (answer === 'applied') w.mode = a.to;
      feed(w, { kind: 'decided', decision: answer });
    }
  }
  return next.actions;
}

/** One window of `calls` calls shaped as `c`, in the world's mode; advances the counters. */
export function windowOf(w: World, c: Calls, calls = w.thresholds.window): WindowEvidence {
  const wallMs = c.wallMs ?? c.syncMs;
  const paceMs = c.paceMs ?? wallMs;
  const fanOut = c.fanOut ?? 1;
  const sampled = isSampling(w.state);
  const onLoop = w.mode === 'tfox' ? 0 : c.syncMs;
  const spanMs = (calls * paceMs) / fanOut;
  const activeMs = Math.min(spanMs, calls * onLoop);
  const eluAtStart = { ...w.loop, utilization: 0 };
  w.loop.active += activeMs;
  w.loop.idle += spanMs - activeMs;
  w.task.calls += calls;
  w.task.started += calls;
  w.task.busyMs += calls * paceMs;
  const longestMs = sampled ? (c.longestMs ?? c.syncMs) : c.syncMs;
  return {
    calls,
    syncMs: c.syncMs,
    wallMs,
    busyMs: sampled ? Math.max(c.syncMs, longestMs) : c.syncMs,
    longestMs,
    ioShare: c.ioShare ?? 0,
    waitMs: c.waitMs ?? Math.max(0, wallMs - c.syncMs),
    workerWaitShare: 0,
    fanOut,
    loopShare: 0,
    loopBusy: c.loopBusy ?? (spanMs > 0 ? activeMs / spanMs : 0),
    sampled,
    unhooked: !sampled,
    eluAtStart,
  };
}

/** Runs `n` windows of `load`; returns the actions they made. */
export function run(w: World, load: Workload, n: number, answer: Answer = 'applied'): AutoAction[] {
  const actions: AutoAction[] = [];
  for (let i = 0; i < n; i++) {
    actions.push(...feed(w, { kind: 'window', evidence: windowOf(w, load(w.mode)) }, answer));
  }
  return actions;
}

/** The same calls in every mode. */
export const constant =
  (c: Calls): Workload =>
  () =>
    c;
