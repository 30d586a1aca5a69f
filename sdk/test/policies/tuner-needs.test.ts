import assert from 'node:assert/strict';
import type { Attempt } from '../../src/modes/strategy.js';
import { FoxConfigError, fox } from '../../src/index.js';
import { RetryBudget } from '../../src/policies/retry-budget.js';
import type { Call } from '../../src/task/call.js';
import { chain, fakeClock, makeCall } from './fixtures.js';

// What the tuner needs from the policies: a hedge budget, the hedge/timeout conflict rejected
// at decoration, a settable retry budget reserve, retry jitter seedable through the options.

/** Every attempt takes `ms` and succeeds. Counts attempts. */
function slow(clock: ReturnType<typeof fakeClock>, ms: number): Attempt & { calls: number } {
  const f = ((_call: Call) => {
    f.calls++;
    return new Promise((resolve) => clock.setTimeout(() => resolve('ok'), ms));
  }) as Attempt & { calls: number };
  f.calls = 0;
  return f;
}

describe('hedge budget', () => {
  it('a dependency slowed past the hedge delay gets <= (1 + ratio)x load once the reserve is spent', async () => {
    const clock = fakeClock(0);
    // 30 ms hedge, dependency at 90 ms: without a budget every call sends 2 attempts.
    const c = chain({ hedge: { after: 30, budget: { ratio: 0.1, minPerSecond: 1 } } }, clock);
    const dep = slow(clock, 90);
    const run = c.wrap(dep);
    let calls = 0;
    let depAt = 0;
    let callsAt = 0;
    for (let ms = 0; ms < 20_000; ms += 5) {
      calls++;
      void run(makeCall());
      await clock.tick(5);
      if (ms === 2_000) {
        depAt = dep.calls;
        callsAt = calls;
      }
    }
    await clock.tick(200);
    const ratio = (dep.calls - depAt) / (calls - callsAt);
    assert.ok(ratio <= 1.12, `steady load ${ratio.toFixed(3)}x`);
    assert.ok(ratio >= 1.05, `hedges still happen within the budget (${ratio.toFixed(3)}x)`);

    const unbounded = chain({ hedge: { after: 30, budget: false } }, clock);
    const dep2 = slow(clock, 90);
    const run2 = unbounded.wrap(dep2);
    for (let i = 0; i < 100; i++) {
      void run2(makeCall());
      await clock.tick(5);
    }
    await clock.tick(200);
    assert.equal(dep2.calls, 200, 'without a budget every call is hedged');
  });

  it('defaults to a budget, normalized output re-parses, and configure can turn it off', () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 10 } }, clock);
    const h = c.get('hedge')!;
    assert.deepEqual(h.config.budget, { ratio: 0.1, minPerSecond: 10 });
    // Read through a function: assert.equal(…, undefined) would narrow a property read.
    const budget = () => h.hedgeBudget;
    assert.ok(budget());
    h.configure({ budget: false });
    assert.equal(budget(), undefined);
    h.configure({ budget: { ratio: 0.5, minPerSecond: 2, reserve: 3 } });
    assert.equal(budget()?.capacity, 3);
  });
});

describe('hedge that can never fire', () => {
  it('{ timeout: 50, hedge: { after: 60 } } is rejected at decoration naming hedge.after', () => {
    assert.throws(
      () => fox({ id: 'tuner-needs#never', timeout: 50, hedge: { after: 60 } }, async () => 1),
      (e: unknown) =>
        e instanceof FoxConfigError &&
        e.code === 'FOX_CONFIG' &&
        e.path.join('.') === 'hedge.after' &&
        /timeout/.test(e.message),
    );
    assert.throws(
      () => chain({ timeout: { ms: 50 }, hedge: { after: 50 } }, fakeClock()),
      FoxConfigError,
    );
  });

  it('a hedge before the timeout, or a percentile hedge, is accepted', () => {
    assert.ok(chain({ timeout: 50, hedge: { after: 40 } }, fakeClock()));
    assert.ok(chain({ timeout: 50, hedge: { after: 'p95' } }, fakeClock()));
    assert.ok(chain({ hedge: { after: 500 } }, fakeClock()));
  });
});

describe('retry budget reserve', () => {
  it('is settable and bounds the burst after quiet traffic', () => {
    const clock = fakeClock();
    const b = new RetryBudget({ ratio: 0, minPerSecond: 10, reserve: 3 }, clock);
    assert.equal(b.capacity, 3);
    let granted = 0;
    while (b.tryWithdraw()) granted++;
    assert.equal(granted, 3);
    const dflt = new RetryBudget({ ratio: 0, minPerSecond: 10 }, clock);
    assert.equal(dflt.capacity, 100);
  });

  it('through the retry option: at most `reserve` retries in a burst with no refill', async () => {
    const clock = fakeClock(0);
    const c = chain(
      {
        retry: {
          attempts: 5,
          backoff: 'constant',
          delay: 0,
          budget: { ratio: 0, minPerSecond: 0, reserve: 4 },
        },
      },
      clock,
    );
    let attempts = 0;
    const failing: Attempt = () => {
      attempts++;
      return Promise.reject(new Error('down'));
    };
    const run = c.wrap(failing);
    for (let i = 0; i < 10; i++) await run(makeCall()).catch(() => undefined);
    assert.equal(attempts, 10 + 4);
  });

  it('rejects a reserve below one token', () => {
    assert.throws(
      () => chain({ retry: { budget: { ratio: 0.1, minPerSecond: 1, reserve: 0 } } }, fakeClock()),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'retry.budget.reserve',
    );
  });
});

describe('seeded retry jitter', () => {
  async function delays(seed: number | undefined): Promise<number[]> {
    const clock = fakeClock(0);
    const c = chain(
      {
        retry: {
          attempts: 6,
          backoff: 'exponential',
          delay: 100,
          budget: false,
          ...(seed === undefined ? {} : { seed }),
        },
      },
      clock,
    );
    const out: number[] = [];
    c.events.retry((e) => out.push(e.delay));
    const p = c
      .wrap(() => Promise.reject(new Error('x')))(makeCall())
      .catch(() => undefined);
    await clock.tick(60_000);
    await p;
    return out;
  }

  it('the same seed replays the same backoff delays; another seed differs', async () => {
    const a = await delays(7);
    const b = await delays(7);
    const c = await delays(8);
    assert.equal(a.length, 5);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Still the exponential "equal jitter" envelope.
    a.forEach((d, i) => {
      const cap = 100 * 2 ** i;
      assert.ok(d >= cap / 2 && d <= cap, `delay ${i}: ${d}`);
    });
  });

  it('a seed set through configure restarts the sequence', async () => {
    const clock = fakeClock(0);
    const c = chain({ retry: { attempts: 3, delay: 100, budget: false, seed: 1 } }, clock);
    const out: number[] = [];
    c.events.retry((e) => out.push(e.delay));
    const run = c.wrap(() => Promise.reject(new Error('x')));
    const first = run(makeCall()).catch(() => undefined);
    await clock.tick(10_000);
    await first;
    c.get('retry')!.configure({ seed: 1 });
    const second = run(makeCall()).catch(() => undefined);
    await clock.tick(10_000);
    await second;
    // Same seed kept: the stream continues. Then a new seed, then back to 1 restarts it.
    c.get('retry')!.configure({ seed: 2 });
    c.get('retry')!.configure({ seed: 1 });
    const third = run(makeCall()).catch(() => undefined);
    await clock.tick(10_000);
    await third;
    assert.equal(out.length, 6);
    assert.deepEqual(out.slice(4), out.slice(0, 2));
    assert.notDeepEqual(out.slice(2, 4), out.slice(0, 2));
  });
});
