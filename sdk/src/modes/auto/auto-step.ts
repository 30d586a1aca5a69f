import type { ConcreteMode } from '../../protocol/modes.js';
import type {
  AutoAction,
  AutoInput,
  AutoState,
  Evaluating,
  InFlight,
  Instant,
  Kept,
  Learned,
  PaceMark,
  Trial,
  Transition,
  Watching,
} from './auto-state.js';
import { isSampling } from './auto-state.js';
import { baselineDone, measureFreeLoop } from './baseline.js';
import { targetMode, type AutoThresholds } from './decision-rule.js';
import type { StartMark, WindowEvidence } from './evidence-window.js';
import { callsNeeded, EXPRESS_MIN_STRENGTH, type ExpressDecision } from './express-run.js';
import { drifted, hold, isHeld } from './holds.js';
import type { AutoEvidence, ProposalDecision } from './proposals.js';
import { evidenceOf, reasonFor, shapeOf } from './switch-evidence.js';

/**
 * AUTO's decisions as a pure state machine: {@link step} takes the state, one input and the
 * sources read at that instant, and returns the next state and the actions to carry out. It reads
 * no clock and starts no timer; the adapter (auto-controller.ts) measures and applies.
 *
 * Each call is timed cheaply, and each window of calls measures the event loop's utilization.
 * While *evaluating*, after windows without sampling (so the loop is measured without the hooks'
 * own cost), calls are also sampled for their whole-call loop time and each window is judged by
 * {@link targetMode}; a switch is proposed only when `confirm` windows in a row agree, and is
 * followed by a cooldown — so a workload near a threshold does not make the task flap.
 *
 * Once `settle` sampled windows agree with the mode in use, the machine only *watches* the cheap
 * timings and evaluates again when they drift (the workload changed character) or every
 * `recheckEvery` windows. In tfox the calls run in workers, which report their timings for free,
 * so every window is judged there.
 *
 * The rule reads how calls use the loop, not what a mode will do for them: a worker can lose to
 * the loop on memory-bound work, and an I/O lane to none when the loop is what calls queue for.
 * So every switch the rule makes is a *trial*: after the cooldown, the task's busy time per call
 * in the new mode (queueing included; see TaskMetrics.busyTime) is compared with the one
 * measured in the old mode just before — a call's latency when calls come one at a time, a
 * burst's time over its calls when they come together (a lane answers half a burst early, so
 * callers' mean latency would favour it while the burst takes longer). Worse (by more than
 * `trialMargin` for tfox; for mfox, not better by `laneGain`), and auto switches back and holds
 * the losing mode off for a while (a denied or pending proposal is held off the same way),
 * doubling each time — the way a circuit breaker probes again after its break.
 *
 * Strong evidence does not wait for windows: calls that each hold the loop far beyond the
 * threshold propose tfox after a run of them, the shorter the stronger they are (see
 * express-run.ts). To see such calls early, an evaluation starts by sampling its first calls (a
 * *probe*, which ends at the first call that is not strong), and a call whose time to its first
 * await alone is that long starts a probe at any time outside a trial. Probed calls stay out of
 * the windows, which keep measuring the loop without hooks. The run's own busy time per call is
 * the "before" of the trial that follows, as usual.
 */

/** Calls a probe samples at most: the longest run that can decide (see express-run.ts). */
export const PROBE_CALLS = callsNeeded(EXPRESS_MIN_STRENGTH);
/**
 * Windows between two probes that long calls start, at most; the gap doubles from 1 each time a
 * probe finds calls that are not strong (long before their first await, but waiting with many
 * in flight, or preempted), so the windows of such tasks stay mostly unhooked.
 */
export const MAX_PROBE_GAP = 32;

/** The modes auto may run a task in (dfox takes a queue, which auto does not set up). */
export const AUTO_MODES: readonly ConcreteMode[] = ['sfox', 'wfox', 'tfox', 'mfox'];

/**
 * The state of a task just created: evaluating, probing its first calls (the mode is not known
 * yet, so it is not tfox). Apply the returned actions as for any step.
 */
export function initialState(thresholds: AutoThresholds, ineligible?: string): Transition {
  const kept: Kept = { thresholds, ineligible, promotedBy: 'first-segment', inFlight: undefined };
  return evaluate(kept, freshLearned(thresholds, { calls: 0, busyMs: 0 }), undefined, []);
}

/**
 * The next state, and what to do, after `input` at the instant `now`. Pure: `state` is not
 * changed, and the same arguments give the same result.
 */
export function step(state: AutoState, input: AutoInput, now: Instant): Transition {
  switch (input.kind) {
    case 'window':
      return decideWindow(state, input.evidence, now);
    case 'strong-run':
      return promoteNow(state, input.run, now);
    case 'probe-missed':
      return state.phase !== 'cooling' &&
        state.phase !== 'trial' &&
        state.probe.probing &&
        runOpen(state, now.mode)
        ? endProbe(state, false, [])
        : same(state);
    case 'long-call':
      return startProbe(state, now);
    case 'request':
      return propose(state, now, { to: input.to, reason: input.reason, evidence: input.evidence });
    case 'decided':
      return decided(state, input.decision, now);
    case 'failed':
      return failed(state, input.error);
    case 'approved-later':
      return applied(state, input.to, undefined, input.promotedBy, now);
    case 'reset':
      return reset(state, now);
  }
}

/** Whether a run of strong calls may propose tfox now (else the adapter forgets the run). */
export function runOpen(state: AutoState, mode: ConcreteMode): boolean {
  return (
    mode !== 'tfox' &&
    state.kept.ineligible === undefined &&
    state.kept.inFlight === undefined &&
    (state.phase === 'evaluating' || state.phase === 'watching')
  );
}

/**
 * Whether the mode in use has been confirmed since the last switch: `settle` judged windows in a
 * row agreed with it (in tfox, judged from the workers' timings), and no switch is under way.
 */
export function isSettled(state: AutoState): boolean {
  return (
    state.kept.inFlight === undefined &&
    (state.phase === 'evaluating' || state.phase === 'watching') &&
    state.stable >= state.kept.thresholds.settle
  );
}

/** Forgets the evidence and evaluates afresh; keeps {@link Kept}, a proposal in flight included. */
function reset(state: AutoState, now: Instant): Transition {
  const learned = freshLearned(state.kept.thresholds, now.task);
  return evaluate(state.kept, learned, now.mode, [{ kind: 'restart-window' }]);
}

function freshLearned(t: AutoThresholds, pace: PaceMark): Learned {
  return {
    windows: 0,
    paceMark: { calls: pace.calls, busyMs: pace.busyMs },
    holds: {},
    freeLoop: undefined,
    freePace: undefined,
    stretch: undefined,
    recheckIn: t.recheckEvery,
    switchedSinceWatch: true,
    lastEvidence: undefined,
    vote: undefined,
  };
}

function same(state: AutoState): Transition {
  return { state, actions: [] };
}

function decideWindow(state: AutoState, e: WindowEvidence, now: Instant): Transition {
  // A proposal is out: the windows until its outcome are no evidence (the mode may change).
  if (state.kept.inFlight) return same(state);
  const current = now.mode;
  const learned = measureFreeLoop(
    { ...state.learned, windows: state.learned.windows + 1 },
    e,
    current,
    now,
  );
  const s = { ...state, learned } as AutoState;
  const t = s.kept.thresholds;
  switch (s.phase) {
    case 'cooling': {
      // Cooling windows are unsampled: they measure the loop in the new mode.
      if (s.left > 1) return same({ ...s, left: s.left - 1 });
      if (s.trial) return startTrial(s.kept, learned, s.trial);
      return evaluate(s.kept, learned, current, []);
    }
    case 'trial': {
      const trial = s.trial;
      const free = learned.freePace;
      // A worker's own timing of the same work can differ from the loop's (two threads share
      // memory bandwidth), so in tfox only the callers' fan-out tells a changed workload.
      if (drifted(t, e, trial.evidence, { sync: current !== 'tfox', wall: false })) {
        // The workload changed under the trial: its latencies compare nothing. Judge afresh.
        return evaluate(s.kept, learned, current, []);
      }
      if (
        free?.mode === current &&
        baselineDone(learned, current, Math.max(e.fanOut, trial.evidence.fanOut))
      ) {
        return endTrial(s, trial, free.ms, e, now);
      }
      return same(s);
    }
    case 'evaluating':
      if (!s.sampling) {
        // The evaluation's first windows measure the loop without hooks; the first of them can
        // be a burst of calls starting at once, so the last one counts. Then sample.
        if (!baselineDone(learned, current, e.fanOut)) return same(s);
        return { state: { ...s, sampling: true }, actions: [{ kind: 'start-sampling' }] };
      }
      break;
    case 'watching':
      break;
  }
  const onWorker = current === 'tfox';
  if (!onWorker && !e.sampled) {
    // Watching: only the cheap timings; evaluate again when they drift or it is time to.
    if (s.phase !== 'watching') return same(s);
    const sinceCheck = s.sinceCheck + 1;
    if (drifted(t, e, s.baseline, { sync: true, wall: true }) || sinceCheck >= learned.recheckIn) {
      // The workload may have changed: measure the loop afresh, on it. (Calls of another
      // shape may try the modes held off for the old ones again: see isHeld.)
      const forgot = { ...learned, freeLoop: undefined, freePace: undefined, stretch: undefined };
      return evaluate(s.kept, forgot, current, []);
    }
    return same({ ...s, sinceCheck });
  }
  return judge(s, e, now);
}

/** Judges a window by the decision rule (evaluating, or a sampled window while watching). */
function judge(s: Evaluating | Watching, e: WindowEvidence, now: Instant): Transition {
  const current = now.mode;
  const t = s.kept.thresholds;
  const learned = { ...s.learned, lastEvidence: e };
  const free = learned.freeLoop;
  // The hooks only add loop work, so a sampled window's utilization bounds the unhooked one
  // from above: the smaller of the two also corrects a measure taken before the workload
  // changed.
  const loopBusy = free && free.mode === current ? Math.min(free.busy, e.loopBusy) : e.loopBusy;
  const ruled = targetMode({ ...e, loopBusy }, t, {
    current,
    ineligible: s.kept.ineligible !== undefined,
    promotedBy: s.kept.promotedBy,
  });
  const want = isHeld(learned, ruled, e, current, t) ? current : ruled;
  if (want === current) {
    const stable = s.stable + 1;
    const next = { ...s, learned: { ...learned, vote: undefined }, stable };
    if (stable >= t.settle && current !== 'tfox') return watch(next, e);
    return same(next);
  }
  const vote = learned.vote;
  const agree = vote?.candidate === want ? vote.agree + 1 : 1;
  if (agree < t.confirm) {
    return same({ ...s, learned: { ...learned, vote: { candidate: want, agree } }, stable: 0 });
  }
  const evidence = evidenceOf(e, loopBusy);
  const before = learned.freePace;
  const trial =
    before?.mode === current
      ? { from: current, to: want, fromMs: before.ms, evidence: e }
      : undefined;
  // Blocking that the first segment does not show happened after an await.
  const promotedBy = e.syncMs >= t.promoteMs ? 'first-segment' : 'later-segment';
  return propose(
    { ...s, learned: { ...learned, vote: undefined }, stable: 0 },
    now,
    { to: want, reason: reasonFor(want, evidence), evidence },
    trial,
    promotedBy,
  );
}

/** The mode is confirmed: stop sampling and remember what the calls looked like. */
function watch(s: Evaluating | Watching, e: WindowEvidence): Transition {
  const t = s.kept.thresholds;
  const recheckIn = s.learned.switchedSinceWatch
    ? t.recheckEvery
    : Math.min(t.recheckMax, s.learned.recheckIn * 2);
  const next: Watching = {
    phase: 'watching',
    kept: s.kept,
    learned: { ...s.learned, recheckIn, switchedSinceWatch: false },
    stable: s.stable,
    probe: s.probe,
    baseline: { syncMs: e.syncMs, wallMs: e.wallMs, fanOut: e.fanOut },
    sinceCheck: 0,
  };
  // A run starts afresh from the next probe: the calls before it confirmed the mode.
  return { state: next, actions: [{ kind: 'restart-run' }] };
}

/**
 * Evaluates again: unless the loop was just measured without hooks in the mode in use, one
 * window of cheap timings first (for that), then whole calls are sampled.
 */
function evaluate(
  kept: Kept,
  learned: Learned,
  current: ConcreteMode | undefined,
  actions: AutoAction[],
): Transition {
  const sampling = learned.freeLoop !== undefined && learned.freeLoop.mode === current;
  // In tfox the calls run in workers: nothing to sample here.
  const probing = !sampling && current !== 'tfox';
  const state: Evaluating = {
    phase: 'evaluating',
    kept,
    learned,
    sampling,
    stable: 0,
    probe: { probing, gap: 0, nextAt: 0 },
  };
  actions.push({ kind: 'restart-run' }, { kind: 'probe', calls: probing ? PROBE_CALLS : 0 });
  if (sampling) actions.push({ kind: 'start-sampling' });
  return { state, actions };
}

/** The new mode has cooled down: measure its busy time per call without sampling. */
function startTrial(kept: Kept, learned: Learned, trial: Trial): Transition {
  return {
    state: {
      phase: 'trial',
      kept,
      learned: { ...learned, stretch: undefined, freePace: undefined },
      trial,
    },
    actions: [],
  };
}

/** Keeps the mode on trial, or goes back to the one it replaced and holds it off. */
function endTrial(
  s: AutoState & { phase: 'trial' },
  trial: Trial,
  ms: number,
  e: WindowEvidence,
  now: Instant,
): Transition {
  const t = s.kept.thresholds;
  const margin = trial.to === 'tfox' ? t.trialMargin : trial.to === 'mfox' ? -t.laneGain : 0;
  if (ms <= trial.fromMs * (1 + margin)) return evaluate(s.kept, s.learned, now.mode, []);
  const learned = hold(s.learned, t, trial.to, shapeOf(trial.evidence), trial.from);
  const evidence: AutoEvidence = {
    ...evidenceOf(e, e.loopBusy),
    trial: { mode: trial.to, msPerCall: ms, fromMsPerCall: trial.fromMs },
  };
  const gain = margin < 0 ? ` (not ${Math.round(-margin * 100)}% less)` : '';
  const reason =
    `on trial, calls took ${ms.toFixed(3)} ms in ${trial.to} against ` +
    `${trial.fromMs.toFixed(3)} ms in ${trial.from}${gain}: back to ${trial.from}`;
  const back = propose(
    { ...s, learned },
    now,
    { to: trial.from, reason, evidence },
    undefined,
    s.kept.promotedBy,
    true,
  );
  // Nothing to propose (the mode changed from outside): judge the mode in use afresh.
  return back.actions.length > 0 ? back : evaluate(s.kept, learned, now.mode, []);
}

/**
 * Proposes a switch, unless the task is already there or another proposal is out; the state
 * records it as in flight until its outcome.
 */
function propose(
  s: AutoState,
  now: Instant,
  p: { to: ConcreteMode; reason: string; evidence: AutoEvidence },
  trial?: Trial,
  promotedBy = s.kept.promotedBy,
  afterTrial = false,
): Transition {
  if (now.mode === p.to || s.kept.inFlight) return same(s);
  const inFlight: InFlight = {
    to: p.to,
    from: now.mode,
    shape: shapeOf(p.evidence),
    trial,
    promotedBy,
    afterTrial,
  };
  return {
    state: { ...s, kept: { ...s.kept, inFlight } },
    actions: [{ kind: 'propose', ...p }],
  };
}

/**
 * The outcome of the proposal in flight. Applied, the task cools down in the new mode, then runs
 * its trial if it has one. Denied or pending, the mode is held off so the same change is not
 * proposed again every few windows (a pending one that is approved later comes back as
 * 'approved-later').
 */
function decided(state: AutoState, decision: ProposalDecision, now: Instant): Transition {
  const p = state.kept.inFlight;
  if (!p) return same(state);
  const s = { ...state, kept: { ...state.kept, inFlight: undefined } } as AutoState;
  if (decision === 'applied') return applied(s, p.to, p.trial, p.promotedBy, now);
  const learned = hold(s.learned, s.kept.thresholds, p.to, p.shape, now.mode);
  const next = { ...s, learned } as AutoState;
  // Not switched back after a lost trial: judge the mode in use afresh.
  if (p.afterTrial && next.phase === 'trial' && now.mode === p.from) {
    return evaluate(next.kept, learned, now.mode, []);
  }
  return same(next);
}

/** The strategy could not be created (e.g. its module cannot be found): stop trying tfox. */
function failed(state: AutoState, error: string): Transition {
  const p = state.kept.inFlight;
  if (!p) return same(state);
  const ineligible = p.to === 'tfox' ? error : state.kept.ineligible;
  return same({ ...state, kept: { ...state.kept, inFlight: undefined, ineligible } } as AutoState);
}

/** `to` is in use: let it settle (queues fill, workers start) before judging it. */
function applied(
  s: AutoState,
  to: ConcreteMode,
  trial: Trial | undefined,
  promotedBy: Kept['promotedBy'],
  now: Instant,
): Transition {
  const holds = { ...s.learned.holds };
  delete holds[to];
  return {
    state: {
      phase: 'cooling',
      kept: { ...s.kept, promotedBy: to === 'tfox' ? promotedBy : s.kept.promotedBy },
      // A new window starts now, its pace included: calls that ended while the switch was out
      // must not count in the next span's measure.
      learned: {
        ...s.learned,
        holds,
        switchedSinceWatch: true,
        paceMark: { calls: now.task.calls, busyMs: now.task.busyMs },
      },
      // No sampling meanwhile: the cooling windows are not evidence.
      left: s.kept.thresholds.cooldown,
      trial,
    },
    actions: [{ kind: 'probe', calls: 0 }, { kind: 'restart-run' }, { kind: 'restart-window' }],
  };
}

/**
 * A call held the loop long before its first await: sample the next calls for a run, unless
 * the last probe found nothing too recently (see MAX_PROBE_GAP).
 */
function startProbe(s: AutoState, now: Instant): Transition {
  if (s.phase !== 'evaluating' && s.phase !== 'watching') return same(s);
  if (isSampling(s) || s.learned.windows < s.probe.nextAt || !runOpen(s, now.mode)) return same(s);
  return {
    state: { ...s, probe: { ...s.probe, probing: true } },
    actions: [{ kind: 'probe', calls: PROBE_CALLS }],
  };
}

/** The probe under way ends; unless it found a run to propose, the next one waits longer. */
function endProbe(s: Evaluating | Watching, found: boolean, actions: AutoAction[]): Transition {
  actions.push({ kind: 'probe', calls: 0 });
  if (found) return { state: { ...s, probe: { ...s.probe, probing: false } }, actions };
  const gap = Math.min(MAX_PROBE_GAP, Math.max(1, 2 * s.probe.gap));
  const probe = { probing: false, gap, nextAt: s.learned.windows + gap };
  return { state: { ...s, probe }, actions };
}

/**
 * Proposes tfox on a run of strong calls, unless tfox is held off for calls like these. The
 * trial that follows compares with the run's busy time per call: a call's latency when they
 * came one at a time (the median: a preempted call moves nothing); otherwise the task's busy
 * time over the run's span per call started in it — exact for calls that never wait (each
 * one started has run), and low for calls that wait, which only makes the trial stricter.
 */
function promoteNow(state: AutoState, run: ExpressDecision, now: Instant): Transition {
  if (state.phase !== 'evaluating' && state.phase !== 'watching') return same(state);
  if (!runOpen(state, now.mode)) return same(state);
  const current = now.mode;
  const t = state.kept.thresholds;
  const e = run.evidence;
  const held = isHeld(state.learned, 'tfox', e, current, t);
  const ended = endProbe(state, !held, []);
  if (held) return ended;
  const s = ended.state as Evaluating | Watching;
  const promotedBy = e.syncMs >= t.promoteMs ? 'first-segment' : 'later-segment';
  const fromMs = e.fanOut > 1 ? paceSince(now, run.since) : e.wallMs;
  const trial =
    fromMs === undefined ? undefined : { from: current, to: 'tfox' as const, fromMs, evidence: e };
  const evidence = evidenceOf(e, e.loopBusy);
  const times = Math.floor(run.strength);
  const reason = `${reasonFor('tfox', evidence)}; ${e.calls} calls in a row, each ≥ ${times}× the ${t.promoteMs} ms threshold`;
  const next = propose(
    { ...s, learned: { ...s.learned, lastEvidence: e, vote: undefined } },
    now,
    { to: 'tfox', reason, evidence },
    trial,
    promotedBy,
  );
  return { state: next.state, actions: [...ended.actions, ...next.actions] };
}

/** The task's busy time per call started since `since` (which that call counted itself). */
function paceSince(now: Instant, since: StartMark | undefined): number | undefined {
  if (!since) return undefined;
  const calls = now.task.started - since.calls + 1;
  return calls > 0 ? (now.task.busyMs - since.busyMs) / calls : undefined;
}
