import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FoxAbortedError, FoxShutdownError } from '../../src/errors/errors.js';
import { FoxRateLimitedError } from '../../src/policies/index.js';
import { chain, fakeClock, makeCall, settle } from './fixtures.js';

describe('rate limit policy', () => {
  it('token bucket, reject: a burst of `burst`, then FoxRateLimitedError with retryAfter', async () => {
    const clock = fakeClock();
    const c = chain({ rateLimit: { perSecond: 10, burst: 3 } }, clock);
    const run = c.wrap(async () => 'ok');
    for (let i = 0; i < 3; i++) assert.equal(await run(makeCall()), 'ok');
    const err = await run(makeCall()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof FoxRateLimitedError);
    assert.equal(err.code, 'FOX_RATE_LIMITED');
    assert.equal(Math.round(err.retryAfterMs), 100);
    await clock.tick(100);
    assert.equal(await run(makeCall()), 'ok');
  });

  it('sliding window, wait: delays calls to the next free slot, FIFO', async () => {
    const clock = fakeClock(0);
    const c = chain({ rateLimit: { limit: 2, window: 1000, mode: 'wait' } }, clock);
    const starts: number[] = [];
    const run = c.wrap(async () => starts.push(clock.now()));
    const all = [0, 1, 2, 3, 4].map(() => run(makeCall()));
    await clock.tick(3000);
    await Promise.all(all);
    assert.deepEqual(starts, [0, 0, 1000, 1000, 2000]);
  });

  it('wait mode rejects when the wait would exceed maxWait', async () => {
    const clock = fakeClock();
    const c = chain({ rateLimit: { perSecond: 1, mode: 'wait', maxWait: 500 } }, clock);
    const run = c.wrap(async () => 'ok');
    await run(makeCall());
    const r = settle(run(makeCall()));
    await clock.tick(0);
    assert.ok(r.value() instanceof FoxRateLimitedError);
  });

  it('wait mode: the caller aborting ends the wait; dispose fails the waiters', async () => {
    const clock = fakeClock();
    const c = chain({ rateLimit: { perSecond: 1, mode: 'wait' } }, clock);
    let started = 0;
    const run = c.wrap(async () => ++started);
    await run(makeCall());
    const ac = new AbortController();
    const aborted = settle(run(makeCall([], ac.signal)));
    const disposed = settle(run(makeCall()));
    ac.abort('no');
    await clock.tick(0);
    assert.ok(aborted.value() instanceof FoxAbortedError);
    c.dispose();
    await clock.tick(0);
    assert.ok(disposed.value() instanceof FoxShutdownError);
    await clock.tick(5000);
    assert.equal(started, 1);
    assert.equal(clock.timers(), 0);
  });

  it('a lowered rate applies to the next call', async () => {
    const clock = fakeClock();
    const c = chain({ rateLimit: { limit: 5, window: 1000 } }, clock);
    const run = c.wrap(async () => 'ok');
    await run(makeCall());
    await run(makeCall());
    c.get('rateLimit')!.configure({ limit: 2 });
    await assert.rejects(run(makeCall()), FoxRateLimitedError);
  });

  for (const mode of ['reject', 'wait'] as const) {
    it(`property (token bucket, ${mode}): admissions in any interval <= burst + perSecond·T`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 1, max: 10 }),
          fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 80 }),
          async (perSecond, burst, gaps) => {
            const clock = fakeClock(0);
            const c = chain({ rateLimit: { perSecond, burst, mode, maxWait: 60_000 } }, clock);
            const starts: number[] = [];
            const run = c.wrap(async () => starts.push(clock.now()));
            for (const gap of gaps) {
              run(makeCall()).catch(() => undefined);
              await clock.tick(gap);
            }
            await clock.tick(120_000);
            for (let i = 0; i < starts.length; i++) {
              for (let j = i; j < starts.length; j++) {
                const T = (starts[j]! - starts[i]!) / 1000;
                assert.ok(j - i + 1 <= burst + perSecond * T + 1e-9, `${j - i + 1} calls in ${T}s`);
              }
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it(`property (sliding window, ${mode}): never more than limit in any window`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 10, max: 500 }),
          fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 80 }),
          async (limit, window, gaps) => {
            const clock = fakeClock(0);
            const c = chain({ rateLimit: { limit, window, mode, maxWait: 60_000 } }, clock);
            const starts: number[] = [];
            const run = c.wrap(async () => starts.push(clock.now()));
            for (const gap of gaps) {
              run(makeCall()).catch(() => undefined);
              await clock.tick(gap);
            }
            await clock.tick(120_000);
            for (let i = 0; i + limit < starts.length; i++) {
              assert.ok(
                starts[i + limit]! - starts[i]! >= window,
                `${limit + 1} calls within ${starts[i + limit]! - starts[i]!} ms < ${window}`,
              );
            }
            if (mode === 'wait') assert.equal(starts.length, gaps.length);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
