import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxConfigError } from '../../src/errors/errors.js';
import type { Attempt } from '../../src/modes/strategy.js';
import { FoxBrokenCircuitError, isBrokenCircuitError } from '../../src/policies/index.js';
import { CountWindow, TimeWindow } from '../../src/policies/outcome-window.js';
import { chain, deferred, fakeClock, flush, makeCall, settle } from './fixtures.js';

const ok: Attempt = () => Promise.resolve('ok');
const fail: Attempt = () => Promise.reject(new Error('down'));

async function runN(run: Attempt, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await run(makeCall()).catch(() => undefined);
}

describe('circuit breaker policy', () => {
  it('consecutive: opens after N failures in a row, a success resets the count', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 3 } }, clock);
    const b = c.get('breaker')!;
    const breaks: string[] = [];
    c.events.break((e) => breaks.push(e.reason));
    await runN(c.wrap(fail), 2);
    await c.wrap(ok)(makeCall());
    await runN(c.wrap(fail), 2);
    assert.equal(b.state, 'closed');
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
    assert.deepEqual(breaks, ['consecutive']);
    const err = await c
      .wrap(ok)(makeCall())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(isBrokenCircuitError(err));
    assert.equal((err as FoxBrokenCircuitError).code, 'FOX_BROKEN_CIRCUIT');
    assert.equal((err as FoxBrokenCircuitError).retryAfterMs, 10_000);
  });

  it('half-open after halfOpenAfter; successThreshold successes close it', async () => {
    const clock = fakeClock();
    const c = chain(
      { breaker: { consecutive: 1, halfOpenAfter: 1000, halfOpenCalls: 3, successThreshold: 2 } },
      clock,
    );
    const b = c.get('breaker')!;
    const seen: string[] = [];
    c.events.halfOpen(() => seen.push('halfOpen'));
    c.events.reset((e) => seen.push(`reset:${e.reason}`));
    await runN(c.wrap(fail), 1);
    await clock.tick(999);
    assert.equal(b.state, 'open');
    await clock.tick(1);
    await c.wrap(ok)(makeCall());
    assert.equal(b.state, 'halfOpen');
    await c.wrap(ok)(makeCall());
    assert.equal(b.state, 'closed');
    assert.deepEqual(seen, ['halfOpen', 'reset:halfOpenSuccess']);
  });

  it('a failed trial re-opens it', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 1, halfOpenAfter: 100 } }, clock);
    const b = c.get('breaker')!;
    await runN(c.wrap(fail), 1);
    await clock.tick(100);
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
  });

  it('ignores the outcome of a call admitted before the state changed', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 1, halfOpenAfter: 100 } }, clock);
    const b = c.get('breaker')!;
    const slow = deferred();
    const pending = settle(c.wrap(() => slow.promise)(makeCall()));
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
    slow.resolve('late');
    await flush();
    assert.equal(pending.state(), 'ok');
    assert.equal(b.state, 'open');
  });

  it('count window: opens on the failure rate once minCalls are in', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { failureRate: 0.5, count: 10, minCalls: 4 } }, clock);
    const b = c.get('breaker')!;
    await runN(c.wrap(ok), 2);
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'closed');
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
  });

  it('count window slides: old outcomes leave it', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { failureRate: 0.5, count: 4 } }, clock);
    const b = c.get('breaker')!;
    await runN(c.wrap(fail), 1);
    await runN(c.wrap(ok), 3);
    // window [ok ok ok fail?]: the first failure slid out before the second one came in.
    await runN(c.wrap(ok), 1);
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'closed');
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
  });

  it('time window: outcomes older than the window no longer count', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { failureRate: 0.5, window: 1000, minCalls: 4 } }, clock);
    const b = c.get('breaker')!;
    await runN(c.wrap(fail), 3);
    await clock.tick(1500);
    await runN(c.wrap(ok), 3);
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'closed');
  });

  it('slow-call rate: opens when too many calls are slower than slowCallMs', async () => {
    const clock = fakeClock();
    const c = chain(
      { breaker: { slowCallRate: 0.5, slowCallMs: 100, count: 4, minCalls: 4 } },
      clock,
    );
    const b = c.get('breaker')!;
    const events: unknown[] = [];
    c.events.break((e) => events.push(e.reason));
    const slow: Attempt = () => new Promise((r) => clock.setTimeout(() => r('slow'), 150));
    await runN(c.wrap(ok), 2);
    const p1 = c.wrap(slow)(makeCall());
    await clock.tick(150);
    await p1;
    assert.equal(b.state, 'closed');
    const p2 = c.wrap(slow)(makeCall());
    await clock.tick(150);
    await p2;
    assert.equal(b.state, 'open');
    assert.deepEqual(events, ['slowCallRate']);
  });

  it('ignores local refusals (caller abort) as outcomes', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 1 } }, clock);
    const aborted: Attempt = () =>
      Promise.reject(Object.assign(new Error('x'), { code: 'FOX_ABORTED' }));
    await runN(c.wrap(aborted), 3);
    assert.equal(c.get('breaker')!.state, 'closed');
  });

  it('can switch from consecutive to a failure-rate window at run time', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 100 } }, clock);
    const b = c.get('breaker')!;
    b.configure({ consecutive: undefined, failureRate: 0.5, minCalls: 2 });
    await runN(c.wrap(ok), 1);
    assert.equal(b.state, 'closed');
    await runN(c.wrap(fail), 1);
    assert.equal(b.state, 'open');
  });

  it('isolate() holds it open until reset()', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 5, halfOpenAfter: 10 } }, clock);
    const b = c.get('breaker')!;
    b.isolate();
    await clock.tick(1000);
    await assert.rejects(c.wrap(ok)(makeCall()), (e: unknown) => {
      return e instanceof FoxBrokenCircuitError && e.state === 'isolated';
    });
    b.reset();
    assert.equal(await c.wrap(ok)(makeCall()), 'ok');
  });

  it('toJSON/restore round-trips the state, keeping the open time left', async () => {
    const clock = fakeClock();
    const c = chain({ breaker: { consecutive: 1, halfOpenAfter: 1000 } }, clock);
    await runN(c.wrap(fail), 1);
    await clock.tick(400);
    const snap = JSON.parse(JSON.stringify(c.get('breaker')!));
    assert.deepEqual(snap, {
      version: 1,
      state: 'open',
      consecutiveFailures: 0,
      openRemainingMs: 600,
    });

    const clock2 = fakeClock(50_000);
    const c2 = chain({ breaker: { consecutive: 1, halfOpenAfter: 1000 } }, clock2);
    const b2 = c2.get('breaker')!;
    b2.restore(snap);
    assert.equal(b2.state, 'open');
    await clock2.tick(599);
    assert.equal(b2.state, 'open');
    await clock2.tick(1);
    assert.equal(b2.state, 'halfOpen');
    assert.throws(() => b2.restore({ version: 2, state: 'open' }), FoxConfigError);
  });

  it('property: half-open never admits more than halfOpenCalls trials', async () => {
    let episodesSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({
            fail: fc.boolean(),
            duration: fc.integer({ min: 0, max: 300 }),
            gap: fc.integer({ min: 0, max: 200 }),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        async (trials, plan) => {
          const clock = fakeClock();
          const c = chain(
            { breaker: { consecutive: 2, halfOpenAfter: 100, halfOpenCalls: trials } },
            clock,
          );
          const b = c.get('breaker')!;
          let episode = 0;
          const admittedInEpisode = new Map<number, number>();
          c.events.halfOpen(() => episode++);
          for (const step of plan) {
            const run = c.wrap(() => {
              if (b.state === 'halfOpen') {
                admittedInEpisode.set(episode, (admittedInEpisode.get(episode) ?? 0) + 1);
              }
              return new Promise((resolve, reject) =>
                clock.setTimeout(() => {
                  if (step.fail) reject(new Error('x'));
                  else resolve(1);
                }, step.duration),
              );
            });
            run(makeCall()).catch(() => undefined);
            await clock.tick(step.gap);
          }
          await clock.tick(1000);
          for (const [ep, n] of admittedInEpisode) {
            assert.ok(n <= trials, `episode ${ep} admitted ${n} > ${trials}`);
          }
          episodesSeen += admittedInEpisode.size;
        },
      ),
      { numRuns: 100 },
    );
    // The plans must reach half-open, or the property says nothing.
    assert.ok(episodesSeen > 20, `only ${episodesSeen} half-open episodes exercised`);
  });

  it('property: the count window totals equal a naive count of the last N outcomes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.boolean(), fc.boolean()), { maxLength: 100 }),
        (size, outcomes) => {
          const w = new CountWindow(size);
          outcomes.forEach(([failed, slow], i) => {
            w.record(i, failed, slow);
            const last = outcomes.slice(Math.max(0, i + 1 - size), i + 1);
            assert.deepEqual(w.totals(), {
              calls: last.length,
              failures: last.filter(([f]) => f).length,
              slow: last.filter(([, sl]) => sl).length,
            });
          });
        },
      ),
    );
  });

  it('property: the time window counts every outcome a bucket younger than the window, none older than it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.boolean()), { maxLength: 80 }),
        (ms, steps) => {
          const w = new TimeWindow(ms);
          const seen: { t: number; failed: boolean }[] = [];
          let t = 0;
          for (const [dt, failed] of steps) {
            t += dt;
            w.record(t, failed, false);
            seen.push({ t, failed });
            const total = w.totals(t).calls;
            const younger = seen.filter((e) => e.t > t - ms + ms / 10).length;
            const notTooOld = seen.filter((e) => e.t > t - ms).length;
            assert.ok(
              total >= younger && total <= notTooOld,
              `${younger} <= ${total} <= ${notTooOld}`,
            );
          }
        },
      ),
      // Once failed with seed -493455856 (ms 233, outcomes at 0, 152, 157, 233): bucket
      // boundaries drifted by float rounding and kept the outcome at 0 counted at 233.
      { numRuns: 500 },
    );
  });

  it('drops an outcome exactly one window old, whatever the rounding of the bucket width', () => {
    const w = new TimeWindow(233); // 23.3 ms buckets
    for (const t of [0, 152, 157]) w.record(t, false, false);
    w.record(233, false, false);
    assert.equal(w.totals(233).calls, 3);
  });
});
