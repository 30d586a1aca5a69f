/**
 * The sequential test that decides whether a candidate beats the control, checked at planned
 * looks while the canary runs, without inflating the false-adoption rate.
 *
 * Statistic (one-sided, "candidate scores higher"), per-call fitness scores:
 * - `welch` (default): Welch's z on the mean score. Scores are bounded (see {@link callScore}),
 *   so the mean is well behaved, and it sees what users feel: a candidate that cuts a slow tail
 *   from 1 s to 50 ms moves the mean a lot while leaving the median alone.
 * - `mann-whitney`: Mann–Whitney U (rank-based, tie-corrected); sensitive to shifts of the
 *   bulk of the distribution, blind to most tail changes.
 *
 * Repeated looks: Lan–DeMets alpha spending with the O'Brien–Fleming-type function
 * α(t) = 2 − 2Φ(z₁₋α/₂ / √t) over the information fraction t = n / maxPerArm. Look k tests at the
 * level it newly spends, α(tₖ) − α(tₖ₋₁); by the union bound the chance of adopting at any look
 * when the arms are identical is at most Σ = α(1) = α, whatever the correlation between looks
 * (conservative, but it holds for any stopping pattern the caller uses). Early looks spend
 * almost nothing, so an early "win" has to be overwhelming. Harm is checked the same way with
 * its own `harmAlpha`, spent linearly in t instead, so a clearly worse candidate is stopped at
 * the first looks.
 *
 * Pure: `look(state, control, candidate)` → next state; the canary supplies the samples.
 */
import { normalCdf, normalQuantile } from './normal.js';

export interface SequentialTestSettings {
  /** Chance of adopting a candidate that is no better (one-sided), over all looks. */
  alpha: number;
  /** Chance of stopping a candidate that is no worse as harmful, over all looks. */
  harmAlpha: number;
  /** Samples per arm at which the test ends (information fraction 1). */
  maxPerArm: number;
  /** Samples per arm before the first look. */
  minPerArm: number;
  /** The statistic (default `welch`). */
  statistic?: 'welch' | 'mann-whitney';
}

export const DEFAULT_TEST_SETTINGS: SequentialTestSettings = {
  alpha: 0.05,
  harmAlpha: 0.1,
  maxPerArm: 2000,
  minPerArm: 50,
};

/** Welch's comparison of mean scores. `effect` is the difference of means (candidate − control). */
export function welch(control: readonly number[], candidate: readonly number[]): Comparison {
  const stats = (xs: readonly number[]) => {
    let mean = 0;
    for (const x of xs) mean += x;
    mean /= Math.max(1, xs.length);
    let ss = 0;
    for (const x of xs) ss += (x - mean) ** 2;
    return { mean, variance: xs.length > 1 ? ss / (xs.length - 1) : 0, n: xs.length };
  };
  const a = stats(control);
  const b = stats(candidate);
  const se = Math.sqrt(a.variance / Math.max(1, a.n) + b.variance / Math.max(1, b.n));
  const diff = b.mean - a.mean;
  const z = se === 0 ? 0 : diff / se;
  return {
    z,
    effect: diff,
    effectLow: diff - 1.96 * se,
    effectHigh: diff + 1.96 * se,
    nControl: a.n,
    nCandidate: b.n,
  };
}

/** What a statistic reports. */
export interface Comparison {
  /** Standardized statistic: > 0 when the candidate scores higher. */
  z: number;
  /** Effect size in the statistic's own unit. */
  effect: number;
  /** ≈95% interval of `effect`. */
  effectLow: number;
  effectHigh: number;
  nControl: number;
  nCandidate: number;
}

export interface MannWhitney extends Comparison {
  /** U of the candidate: pairs where the candidate scores higher (ties count ½). */
  u: number;
}

/** Mann–Whitney U of `candidate` against `control` (higher score is better). */
export function mannWhitney(control: readonly number[], candidate: readonly number[]): MannWhitney {
  const n1 = control.length;
  const n2 = candidate.length;
  const all: { v: number; cand: boolean }[] = [];
  for (const v of control) all.push({ v, cand: false });
  for (const v of candidate) all.push({ v, cand: true });
  all.sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const avg = (i + j + 2) / 2;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.cand) rankSum += avg;
    i = j + 1;
  }
  const u = rankSum - (n2 * (n2 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  const sd = Math.sqrt(Math.max(0, variance));
  const diff = u - mean;
  const z = sd === 0 ? 0 : (Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5)) / sd;
  const pairs = n1 * n2;
  const effect = pairs === 0 ? 0.5 : u / pairs;
  const half = pairs === 0 ? 0.5 : (1.96 * sd) / pairs;
  return {
    u,
    z,
    effect,
    effectLow: Math.max(0, effect - half),
    effectHigh: Math.min(1, effect + half),
    nControl: n1,
    nCandidate: n2,
  };
}

/** O'Brien–Fleming-type spending: alpha spent by information fraction t (0..1). */
export function alphaSpent(alpha: number, t: number): number {
  if (t <= 0) return 0;
  const tt = Math.min(1, t);
  return 2 - 2 * normalCdf(normalQuantile(1 - alpha / 2) / Math.sqrt(tt));
}

export type TestDecision = 'continue' | 'adopt' | 'harm' | 'no-effect';

export interface TestState {
  readonly decision: TestDecision;
  /** Looks taken. */
  readonly looks: number;
  /** Information fraction at the last look. */
  readonly fraction: number;
  /** Alpha spent so far on adoption and on harm. */
  readonly spent: number;
  readonly harmSpent: number;
  /** The last look's statistic and the boundaries it was compared to. */
  readonly last?: Comparison & { adoptZ: number; harmZ: number };
}

export const INITIAL_TEST_STATE: TestState = {
  decision: 'continue',
  looks: 0,
  fraction: 0,
  spent: 0,
  harmSpent: 0,
};

/**
 * One look at the samples so far (all of them, both arms). Returns the state unchanged while
 * either arm has fewer than `minPerArm` samples or no new information arrived; a decided state
 * stays decided.
 */
export function look(
  state: TestState,
  control: readonly number[],
  candidate: readonly number[],
  s: SequentialTestSettings = DEFAULT_TEST_SETTINGS,
): TestState {
  if (state.decision !== 'continue') return state;
  const n = Math.min(control.length, candidate.length);
  if (n < s.minPerArm) return state;
  const t = Math.min(1, n / s.maxPerArm);
  if (t <= state.fraction) return state;
  const spentNow = alphaSpent(s.alpha, t);
  // Harm spends linearly (Pocock-like): a clearly worse candidate is stopped at the first looks.
  const harmNow = s.harmAlpha * t;
  const adoptZ = normalQuantile(1 - Math.max(1e-300, spentNow - state.spent));
  const harmZ = -normalQuantile(1 - Math.max(1e-300, harmNow - state.harmSpent));
  const mw =
    s.statistic === 'mann-whitney' ? mannWhitney(control, candidate) : welch(control, candidate);
  const decision: TestDecision =
    mw.z >= adoptZ ? 'adopt' : mw.z <= harmZ ? 'harm' : t >= 1 ? 'no-effect' : 'continue';
  return {
    decision,
    looks: state.looks + 1,
    fraction: t,
    spent: spentNow,
    harmSpent: harmNow,
    last: { ...mw, adoptZ, harmZ },
  };
}

/**
 * The per-call fitness score the test compares (higher is better), for the default fitness,
 * goodput with latency as the guard: a success costs its latency up to `capMs` (the latency
 * objective: a later success is no better than a miss), a failure costs 2·capMs. Bounded, so
 * one pathological call cannot swamp the mean.
 */
export function callScore(ok: boolean, latencyMs: number, capMs: number): number {
  if (!ok) return -2 * capMs;
  return -Math.min(latencyMs, capMs);
}
