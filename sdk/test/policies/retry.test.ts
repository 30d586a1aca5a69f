import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxAbortedError, FoxTimeoutError } from '../../src/errors/errors.js';
import type { Attempt } from '../../src/modes/strategy.js';
import { RetryBudget } from '../../src/policies/index.js';
import { BUDGET_RESERVE_SECONDS } from '../../src/policies/retry-budget.js';
import { backoffDelay } from '../../src/policies/retry.js';
import type { Call } from '../../src/task/call.js';
import { CodedError, chain, fakeClock, flaky, makeCall, settle } from './fixtures.js';

describe('retry policy', () => {
  it('retries until success, with backoff between attempts and retry events', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 3, backoff: 'constant', delay: 100 } }, clock);
    const events: { attempt: number; delay: number }[] = [];
    c.events.retry((e) => events.push({ attempt: e.attempt, delay: e.delay }));
    const attempt = flaky(2);
    const r = settle(c.wrap(attempt)(makeCall()));
    await clock.tick(99);
    assert.equal(attempt.calls, 2 - 1);
    await clock.tick(1);
    assert.equal(attempt.calls, 2);
    await clock.tick(100);
    assert.equal(r.state(), 'ok');
    assert.equal(attempt.calls, 3);
    assert.deepEqual(events, [
      { attempt: 2, delay: 100 },
      { attempt: 3, delay: 100 },
    ]);
  });

  it('sets call.attempt for each attempt', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 3, delay: 0 } }, clock);
    const seen: number[] = [];
    const run = c.wrap((call: Call) => {
      seen.push(call.attempt);
      return Promise.reject(new Error('x'));
    });
    await assert.rejects(run(makeCall()), /x/);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('gives up after `attempts` with the last error and a giveUp event', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 2, delay: 0 } }, clock);
    const giveUps: unknown[] = [];
    c.events.giveUp((e) => giveUps.push(e.reason));
    const attempt = flaky(5);
    await assert.rejects(c.wrap(attempt)(makeCall()), /boom/);
    assert.equal(attempt.calls, 2);
    assert.deepEqual(giveUps, ['attempts']);
  });

  it('retryOn: only the listed codes, or what the predicate accepts', async () => {
    const clock = fakeClock();
    const byCode = chain({ retry: { attempts: 3, delay: 0, retryOn: ['ECONNRESET'] } }, clock);
    const a = flaky(1, 'ok', () => new CodedError('ECONNRESET'));
    assert.equal(await byCode.wrap(a)(makeCall()), 'ok');
    const b = flaky(1, 'ok', () => new CodedError('EACCES'));
    await assert.rejects(byCode.wrap(b)(makeCall()), /EACCES/);
    assert.equal(b.calls, 1);
    const byFn = chain(
      { retry: { attempts: 3, delay: 0, retryOn: (e) => (e as Error).message === 'boom' } },
      clock,
    );
    assert.equal(await byFn.wrap(flaky(2))(makeCall()), 'ok');
  });

  it('does not retry by default what retrying cannot fix (caller abort, open circuit)', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 3, delay: 0 } }, clock);
    const a = flaky(1, 'ok', () => new CodedError('FOX_BROKEN_CIRCUIT'));
    await assert.rejects(c.wrap(a)(makeCall()));
    assert.equal(a.calls, 1);
  });

  it('backoff: exponential grows, stays within [d/2, d] and maxDelay; decorrelated within [delay, maxDelay]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (delay, retry, rnd) => {
          const maxDelay = delay * 8;
          const exp = backoffDelay(
            { backoff: 'exponential', delay, maxDelay },
            retry,
            0,
            () => rnd,
          );
          const d = Math.min(maxDelay, delay * 2 ** (retry - 1));
          assert.ok(exp >= d / 2 && exp <= d, `${exp} not in [${d / 2}, ${d}]`);
          const dec = backoffDelay(
            { backoff: 'decorrelated', delay, maxDelay },
            retry,
            delay * retry,
            () => rnd,
          );
          assert.ok(dec >= delay && dec <= maxDelay);
          assert.equal(
            backoffDelay({ backoff: 'constant', delay, maxDelay }, retry, 0, () => rnd),
            delay,
          );
        },
      ),
    );
  });

  it("aborting the caller's signal during backoff stops retrying with FoxAbortedError", async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 5, backoff: 'constant', delay: 1000 } }, clock);
    const ac = new AbortController();
    const attempt = flaky(10);
    const r = settle(c.wrap(attempt)(makeCall([ac.signal], ac.signal)));
    await clock.tick(10);
    ac.abort('user left');
    await clock.tick(0);
    assert.equal(r.state(), 'error');
    assert.ok(r.value() instanceof FoxAbortedError);
    await clock.tick(10_000);
    assert.equal(attempt.calls, 1);
  });

  it('after a cooperative timeout, the next attempt gets a fresh (unaborted) signal', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 2, delay: 0 }, timeout: 50 }, clock);
    const signals: boolean[] = [];
    let n = 0;
    const attempt: Attempt = (call) => {
      signals.push(call.signal.aborted);
      return n++ === 0 ? new Promise(() => {}) : Promise.resolve('second');
    };
    const r = settle(c.wrap(attempt)(makeCall()));
    await clock.tick(50);
    await clock.tick(0);
    assert.equal(r.state(), 'ok');
    assert.equal(r.value(), 'second');
    assert.deepEqual(signals, [false, false]);
  });

  it('retries a timeout (FoxTimeoutError is retryable by default)', async () => {
    const clock = fakeClock();
    const c = chain({ retry: { attempts: 2, delay: 0 }, timeout: 10 }, clock);
    const giveUps: unknown[] = [];
    c.events.giveUp((e) => giveUps.push(e.error));
    const r = settle(c.wrap(() => new Promise(() => {}))(makeCall()));
    await clock.tick(25);
    assert.equal(r.state(), 'error');
    assert.ok(r.value() instanceof FoxTimeoutError);
    assert.equal(giveUps.length, 1);
  });
});

describe('retry budget', () => {
  it('property: over any window, retries <= capacity + ratio·calls + minPerSecond·seconds', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(
          fc.record({
            // Mostly bursts, sometimes long idle stretches (that must not bank beyond capacity).
            dt: fc.oneof(
              { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 8 },
              { arbitrary: fc.integer({ min: 0, max: 60_000 }), weight: 1 },
            ),
            kind: fc.constantFrom('call', 'retry', 'retry', 'retry'),
          }),
          { minLength: 1, maxLength: 300, size: 'max' },
        ),
        (ratio, minPerSecond, steps) => {
          const clock = fakeClock(0);
          const budget = new RetryBudget({ ratio, minPerSecond }, clock);
          const events: { t: number; kind: 'call' | 'retry' }[] = [];
          let t = 0;
          for (const s of steps) {
            t += s.dt;
            clock.fake.tick(t - clock.now());
            if (s.kind === 'call') {
              budget.deposit();
              events.push({ t, kind: 'call' });
            } else if (budget.tryWithdraw()) {
              events.push({ t, kind: 'retry' });
            }
          }
          const cap = budget.capacity;
          for (let i = 0; i < events.length; i++) {
            let calls = 0;
            let retries = 0;
            for (let j = i; j < events.length; j++) {
              if (events[j]!.kind === 'call') calls++;
              else retries++;
              const seconds = (events[j]!.t - events[i]!.t) / 1000;
              assert.ok(
                retries <= cap + ratio * calls + minPerSecond * seconds + 1e-9,
                `window ${i}..${j}: ${retries} retries > ${cap} + ${ratio}·${calls} + ${minPerSecond}·${seconds}`,
              );
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('capacity is ten seconds of the floor', () => {
    const b = new RetryBudget({ ratio: 0.1, minPerSecond: 10 }, fakeClock());
    assert.equal(b.capacity, 10 * BUDGET_RESERVE_SECONDS);
  });

  it('with a dependency failing 100%, attempts stay <= 1.2x calls once the reserve is spent', async () => {
    const clock = fakeClock(0);
    // Default budget (ratio 0.1, 10/s floor), 5 attempts per call, 200 calls/s for 60 s.
    const c = chain({ retry: { attempts: 5, backoff: 'constant', delay: 1 } }, clock);
    const attempt = flaky(Number.POSITIVE_INFINITY);
    const run = c.wrap(attempt);
    let calls = 0;
    let attemptsAtReserveSpent = 0;
    let callsAtReserveSpent = 0;
    for (let ms = 0; ms < 60_000; ms += 5) {
      calls++;
      run(makeCall()).catch(() => undefined);
      await clock.tick(5);
      if (ms === 5_000) {
        attemptsAtReserveSpent = attempt.calls;
        callsAtReserveSpent = calls;
      }
    }
    await clock.tick(100);
    const steadyAttempts = attempt.calls - attemptsAtReserveSpent;
    const steadyCalls = calls - callsAtReserveSpent;
    assert.ok(
      steadyAttempts <= 1.2 * steadyCalls,
      `${steadyAttempts} attempts for ${steadyCalls} calls (${(steadyAttempts / steadyCalls).toFixed(3)}x)`,
    );
    // Including the initial reserve, the whole run stays close too.
    assert.ok(attempt.calls <= 1.2 * calls + 100, `${attempt.calls} attempts for ${calls} calls`);
    // And without a budget the same load would be 5x: the test can tell the difference.
    const noBudget = chain({ retry: { attempts: 5, delay: 0, budget: false } }, clock);
    const a2 = flaky(Number.POSITIVE_INFINITY);
    await noBudget
      .wrap(a2)(makeCall())
      .catch(() => undefined);
    assert.equal(a2.calls, 5);
  });
});
