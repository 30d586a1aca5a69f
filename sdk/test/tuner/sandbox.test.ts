import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/chaos/rng.js';
import { buildPolicies } from '../../src/policies/index.js';
import { Call, type Attempt } from '../../src/task/call.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';
import {
  CENSORED,
  countOutcomes,
  type RecordedInterval,
} from '../../src/tuner/recorded-interval.js';
import { IntervalRecorder } from '../../src/tuner/recorder.js';
import { replay, screen } from '../../src/tuner/sandbox.js';

/**
 * Records `calls` calls at `rate`/s through the real policy chain on the fake clock. The
 * dependency's latency is lognormal around `medianMs` with a slow tail, and a share `fail` of
 * attempts fail with ECONNRESET; it ignores aborts (keeps running), like most real code.
 */
async function record(
  policies: Record<string, unknown>,
  opts: { calls: number; rate: number; medianMs: number; fail: number; seed: number },
): Promise<RecordedInterval> {
  const clock = createFakeClock({ now: 0, wallNow: 1_700_000_000_000 });
  const rng = new SeededRandom(opts.seed);
  const dep: Attempt = () =>
    new Promise((resolve, reject) => {
      const u = 1 - rng.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
      const tail = rng.next() < 0.03 ? 10 : 1;
      const ms = Math.round(opts.medianMs * Math.exp(0.3 * z) * tail);
      const fails = rng.next() < opts.fail;
      clock.setTimeout(
        () =>
          fails ? reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' })) : resolve(1),
        ms,
      );
    });
  const recorder = new IntervalRecorder('sandbox#dep', clock);
  const chain = buildPolicies(policies, { taskId: 'sandbox#dep', clock })!;
  const invoke = recorder.above(chain.wrap(recorder.below(dep)));
  const gap = 1000 / opts.rate;
  const settled: Promise<unknown>[] = [];
  for (let i = 0; i < opts.calls; i++) {
    settled.push(
      invoke(new Call('sandbox#dep', undefined, [i], undefined, undefined)).catch(() => 0),
    );
    await clock.tickAsync(gap);
  }
  await clock.tickAsync(60_000);
  await Promise.all(settled);
  chain.dispose();
  return recorder.cut();
}

describe('tuner sandbox (offline screening)', () => {
  const current = {
    timeout: 80,
    retry: { attempts: 3, backoff: 'exponential', delay: 10, seed: 11 },
    breaker: { consecutive: 8, halfOpenAfter: 500 },
  };

  it('reproduces a recorded interval’s outcome counts exactly for the current parameters', async () => {
    const interval = await record(current, {
      calls: 600,
      rate: 100,
      medianMs: 40,
      fail: 0.08,
      seed: 3,
    });
    const recorded = countOutcomes(interval.calls);
    assert.ok(recorded.failed > 0 && recorded.ok > 0, JSON.stringify(recorded));
    assert.ok(
      interval.calls.some((c) => c.attempts.some((a) => a.ms === CENSORED)),
      'the tail hits the timeout',
    );
    assert.ok(recorded.attempts > recorded.calls, 'some calls retried');
    const sim = await replay(interval, current, { seed: 11 });
    assert.deepEqual(
      {
        calls: sim.calls,
        ok: sim.ok,
        failed: sim.failed,
        attempts: sim.attempts,
        byCode: sim.byCode,
      },
      recorded,
    );
    // Per call, not just in total.
    sim.replayed.forEach((c, i) => assert.equal(c.ok, interval.calls[i]!.ok, `call ${i}`));
  });

  it('a different candidate changes the outcome (the replay really runs the policies)', async () => {
    const interval = await record(current, {
      calls: 400,
      rate: 100,
      medianMs: 40,
      fail: 0.08,
      seed: 4,
    });
    const noRetry = await replay(interval, { ...current, retry: { attempts: 1 } });
    const base = await replay(interval, current, { seed: 11 });
    assert.ok(noRetry.failed > base.failed, `${noRetry.failed} vs ${base.failed}`);
    assert.equal(noRetry.attempts, noRetry.calls);
  });

  it('screening rejects a timeout below the median and passes a sensible change', async () => {
    const interval = await record(current, {
      calls: 400,
      rate: 100,
      medianMs: 40,
      fail: 0.02,
      seed: 5,
    });
    const bad = await screen(interval, current, { ...current, timeout: 20 });
    assert.equal(bad.pass, false);
    const fine = await screen(interval, current, {
      ...current,
      retry: { ...current.retry, attempts: 4 },
    });
    assert.equal(fine.pass, true, JSON.stringify(fine));
  });
});
