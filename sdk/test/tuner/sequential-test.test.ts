import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../../src/chaos/rng.js';
import {
  INITIAL_TEST_STATE,
  callScore,
  alphaSpent,
  look,
  mannWhitney,
  welch,
  type SequentialTestSettings,
  type TestState,
} from '../../src/tuner/sequential-test.js';

const SETTINGS: SequentialTestSettings = {
  alpha: 0.05,
  harmAlpha: 0.1,
  maxPerArm: 400,
  minPerArm: 40,
};
const LOOKS = 10;

const CAP = 200;

/**
 * Per-call scores as the canary makes them (callScore, cap 200 ms): lognormal latency around
 * 20 ms scaled by (1 − shift); a share `fail` of calls fail.
 */
function scores(rng: SeededRandom, n: number, shift: number, fail: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.next();
    const v = rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const latency = Math.exp(3 + 0.5 * z) * (1 - shift);
    out.push(callScore(rng.next() >= fail, latency, CAP));
  }
  return out;
}

/** Runs one experiment, looking every maxPerArm/LOOKS samples; returns the final state. */
function experiment(control: number[], candidate: number[], s = SETTINGS): TestState {
  let st = INITIAL_TEST_STATE;
  for (let k = 1; k <= LOOKS && st.decision === 'continue'; k++) {
    const n = Math.round((s.maxPerArm * k) / LOOKS);
    st = look(st, control.slice(0, n), candidate.slice(0, n), s);
  }
  return st;
}

/** Upper end of a one-sided 99.9% binomial interval for `p` over `n` trials (normal approx). */
function binomialUpper(p: number, n: number): number {
  return n * p + 3.1 * Math.sqrt(n * p * (1 - p));
}

describe('tuner sequential test', () => {
  it('Mann–Whitney: identical samples give z ≈ 0 and effect 0.5; a clear shift gives effect near 1', () => {
    const same = mannWhitney([1, 2, 3, 4], [1, 2, 3, 4]);
    assert.equal(same.effect, 0.5);
    assert.ok(Math.abs(same.z) < 1e-9);
    const better = mannWhitney([1, 2, 3, 4, 5], [10, 11, 12, 13, 14]);
    assert.equal(better.effect, 1);
    assert.ok(better.z > 2);
  });

  it('spends no more than alpha over the looks', () => {
    assert.ok(Math.abs(alphaSpent(0.05, 1) - 0.05) < 1e-6);
    assert.ok(alphaSpent(0.05, 0.1) < 1e-6, 'early looks spend almost nothing');
    let prev = 0;
    for (let t = 0.05; t <= 1; t += 0.05) {
      const a = alphaSpent(0.05, t);
      assert.ok(a >= prev);
      prev = a;
    }
  });

  for (const statistic of ['welch', 'mann-whitney'] as const) {
    it(`A/A (${statistic}): false adoption over 400 experiments with 10 looks each is ≤ alpha within its binomial interval`, () => {
      aa({ ...SETTINGS, statistic });
    });
  }

  function aa(settings: SequentialTestSettings): void {
    const n = 400;
    let adopted = 0;
    let harm = 0;
    for (let i = 0; i < n; i++) {
      const rng = new SeededRandom(1000 + i);
      const control = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
      const candidate = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
      const st = experiment(control, candidate, settings);
      if (st.decision === 'adopt') adopted++;
      if (st.decision === 'harm') harm++;
    }
    assert.ok(adopted <= binomialUpper(SETTINGS.alpha, n), `${adopted}/${n} adopted`);
    assert.ok(harm <= binomialUpper(SETTINGS.harmAlpha, n), `${harm}/${n} stopped as harmful`);
    // The same looks without spending (a fixed z ≥ 1.645 at every look) do inflate it: the
    // spending is what keeps it down.
    let naive = 0;
    for (let i = 0; i < n; i++) {
      const rng = new SeededRandom(1000 + i);
      const control = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
      const candidate = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
      for (let k = 1; k <= LOOKS; k++) {
        const m = Math.round((SETTINGS.maxPerArm * k) / LOOKS);
        const cmp = settings.statistic === 'mann-whitney' ? mannWhitney : welch;
        if (cmp(control.slice(0, m), candidate.slice(0, m)).z >= 1.645) {
          naive++;
          break;
        }
      }
    }
    assert.ok(naive > adopted, `naive ${naive} vs spent ${adopted}`);
  }

  it('adopts a clearly better candidate, and stops a clearly worse one as harm', () => {
    let adopted = 0;
    let harmed = 0;
    for (let i = 0; i < 50; i++) {
      const rng = new SeededRandom(5000 + i);
      const control = scores(rng, SETTINGS.maxPerArm, 0, 0.01);
      const better = scores(rng, SETTINGS.maxPerArm, 0.5, 0.01);
      const worse = scores(rng, SETTINGS.maxPerArm, -0.5, 0.01);
      if (experiment(control, better).decision === 'adopt') adopted++;
      if (experiment(control, worse).decision === 'harm') harmed++;
    }
    assert.ok(adopted >= 45, `${adopted}/50 better candidates adopted`);
    assert.ok(harmed >= 45, `${harmed}/50 worse candidates stopped`);
  });

  it('property: monotone in effect size — a larger improvement on the same draws is adopted no later', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        (seed, e1, e2) => {
          const [small, large] = e1 <= e2 ? [e1, e2] : [e2, e1];
          const rng = new SeededRandom(seed);
          const control = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
          const base = scores(rng, SETTINGS.maxPerArm, 0, 0.02);
          // The same candidate draws, made faster by each effect (failures stay failures).
          const shifted = (e: number) => base.map((v) => (v <= -2 * CAP ? v : v * (1 - e)));
          const a = experiment(control, shifted(small));
          const b = experiment(control, shifted(large));
          if (a.decision === 'adopt') {
            assert.equal(b.decision, 'adopt');
            assert.ok(b.looks <= a.looks, `${b.looks} > ${a.looks}`);
          }
          assert.ok((b.last?.z ?? 0) >= (a.last?.z ?? 0) - 1e-9 || b.looks < a.looks);
        },
      ),
      { numRuns: 60 },
    );
  });
});
