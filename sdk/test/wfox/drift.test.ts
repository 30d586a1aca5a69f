import assert from 'node:assert/strict';
import type { LimiterOptions } from '../../src/modes/wfox/index.js';
import { simulate, type SimResult } from '../support/limiter-simulation.js';

/** Backend: 16 calls at 50 ms median → at most 320 calls/s; offered 3× that, for 10 minutes. */
const C = 16;
const S = 50;
const RUN = {
  capacity: C,
  serviceMs: S,
  serviceSigma: 0.3,
  arrivalsPerSecond: 3 * ((C * 1000) / S),
  durationMs: 600_000,
  warmupMs: 10_000,
  deadlineMs: 10 * S,
  sampleLimitEveryMs: 500,
  seed: 7,
};
const QUEUE: LimiterOptions = { queue: 2 * C, queueTimeout: 5 * S };

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Mean limit over the fraction [from, to) of the run. */
function meanOver(r: SimResult, from: number, to: number): number {
  const n = r.limits.length;
  return mean(r.limits.slice(Math.floor(from * n), Math.floor(to * n)));
}

describe('wfox limit algorithms under sustained overload (simulated, virtual time)', function () {
  this.timeout(120_000);
  const capacityPerSecond = (C * 1000) / S;

  it('gradient stays near capacity and does not drift upward', async () => {
    // Probes every ~30 s, so the run spans ~20 baseline re-measurements.
    const r = await simulate({
      ...RUN,
      limiter: { algorithm: 'gradient', ...QUEUE, gradient: { probeInterval: 30_000 } },
    });
    const middle = meanOver(r, 0.4, 0.6);
    const last = meanOver(r, 0.8, 1);
    const tail = r.limits.slice(Math.floor(r.limits.length / 2));
    assert.ok(
      middle >= C && middle <= 2 * C,
      `middle mean limit ${middle} outside [${C}, ${2 * C}]`,
    );
    assert.ok(last <= middle * 1.1, `limit trends upward: middle ${middle}, last ${last}`);
    assert.ok(Math.max(...tail) <= 3 * C, `limit peaked at ${Math.max(...tail)}`);
    assert.ok(r.goodput >= 0.9 * capacityPerSecond, `goodput ${r.goodput}/s`);
  });

  it('vegas keeps a small backend queue: limit a little above capacity, no drift', async () => {
    const r = await simulate({
      ...RUN,
      durationMs: 120_000,
      limiter: { algorithm: 'vegas', ...QUEUE, vegas: { probeInterval: 30_000 } },
    });
    const middle = meanOver(r, 0.4, 0.6);
    const last = meanOver(r, 0.8, 1);
    assert.ok(middle >= C && middle <= 2 * C, `vegas middle mean limit ${middle}`);
    assert.ok(last <= middle * 1.1, `vegas trends upward: middle ${middle}, last ${last}`);
    assert.ok(r.goodput >= 0.9 * capacityPerSecond, `vegas goodput ${r.goodput}/s`);
  });

  it('aimd backs off on slow calls and stays bounded, keeping goodput', async () => {
    const r = await simulate({
      ...RUN,
      durationMs: 120_000,
      limiter: { algorithm: 'aimd', ...QUEUE, aimd: { timeout: 2.5 * S } },
    });
    const middle = meanOver(r, 0.4, 0.6);
    const last = meanOver(r, 0.8, 1);
    assert.ok(middle >= 0.75 * C && middle <= 3 * C, `aimd middle mean limit ${middle}`);
    assert.ok(last <= middle * 1.2, `aimd trends upward: middle ${middle}, last ${last}`);
    assert.ok(r.goodput >= 0.9 * capacityPerSecond, `aimd goodput ${r.goodput}/s`);
  });

  it('without a limiter the same load collapses goodput (the simulation can tell)', async () => {
    const r = await simulate({ ...RUN, durationMs: 20_000, warmupMs: 5_000, limiter: null });
    assert.ok(r.goodput < 0.1 * capacityPerSecond, `unbounded goodput ${r.goodput}/s`);
  });
});
