import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Attempt } from '../../src/modes/strategy.js';
import {
  FoxBrokenCircuitError,
  POLICY_EVENT_NAMES,
  POLICY_ORDER,
  type Policy,
} from '../../src/policies/index.js';
import type { Call } from '../../src/task/call.js';
import { chain, deferred, fakeClock, flaky, flush, makeCall, settle } from './fixtures.js';

const ALL = {
  fallback: 'fb',
  cache: { ttl: 1000 },
  rateLimit: { perSecond: 100 },
  retry: { attempts: 2, delay: 0 },
  breaker: { consecutive: 5 },
  bulkhead: { limit: 10 },
  hedge: { after: 1000 },
  timeout: 5000,
} as const;

describe('policy chain', () => {
  it('lists the policies in the documented order, outermost first', () => {
    const c = chain(ALL, fakeClock());
    assert.deepEqual(
      c.policies.map((p) => p.name),
      ['fallback', 'cache', 'rateLimit', 'retry', 'breaker', 'bulkhead', 'hedge', 'timeout'],
    );
    assert.deepEqual(
      [...POLICY_ORDER],
      c.policies.map((p) => p.kind),
    );
  });

  it('wraps them in that order: a call enters each policy outermost first', async () => {
    // Unfused, so every policy's own wrap is on the path and can be traced.
    const c = chain(ALL, fakeClock(), { fuse: false });
    const trace: string[] = [];
    for (const p of c.policies as Policy[]) {
      const original = p.wrap.bind(p);
      p.wrap = (inner: Attempt) => {
        const wrapped = original(inner);
        return (call: Call) => {
          trace.push(p.kind);
          return wrapped(call);
        };
      };
    }
    const run = c.wrap(async () => {
      trace.push('attempt');
      return 1;
    });
    assert.equal(await run(makeCall(['k'])), 1);
    assert.deepEqual(trace, [...POLICY_ORDER, 'attempt']);
  });

  it('wraps only what the options ask for, in the same relative order', () => {
    const c = chain({ timeout: 10, retry: 2, fallback: 0 }, fakeClock());
    assert.deepEqual(
      c.policies.map((p) => p.kind),
      ['fallback', 'retry', 'timeout'],
    );
  });

  describe('behaviour that depends on the order', () => {
    it('fallback outside cache: a fallback value is not cached', async () => {
      const c = chain({ fallback: 'degraded', cache: { ttl: 1000 } }, fakeClock());
      const a = flaky(1, 'real');
      const run = c.wrap(a);
      assert.equal(await run(makeCall(['k'])), 'degraded');
      assert.equal(await run(makeCall(['k'])), 'real');
    });

    it('cache outside rateLimit: hits use no rate tokens', async () => {
      const c = chain({ cache: { ttl: 1000 }, rateLimit: { perSecond: 1 } }, fakeClock());
      const run = c.wrap(async () => 'v');
      for (let i = 0; i < 5; i++) assert.equal(await run(makeCall(['k'])), 'v');
    });

    it('rateLimit outside retry: retries use no rate tokens', async () => {
      const c = chain(
        { rateLimit: { perSecond: 1 }, retry: { attempts: 3, delay: 0 } },
        fakeClock(),
      );
      assert.equal(await c.wrap(flaky(2))(makeCall()), 'ok');
    });

    it('retry outside breaker: the breaker counts attempts, and an open breaker ends the retries', async () => {
      const c = chain(
        { retry: { attempts: 5, delay: 0 }, breaker: { consecutive: 2 } },
        fakeClock(),
      );
      const a = flaky(Number.POSITIVE_INFINITY);
      const giveUps: string[] = [];
      c.events.giveUp((e) => giveUps.push(e.reason));
      await assert.rejects(c.wrap(a)(makeCall()), FoxBrokenCircuitError);
      assert.equal(a.calls, 2);
      assert.deepEqual(giveUps, ['predicate']);
    });

    it('breaker outside bulkhead: an open breaker rejects before taking a slot', async () => {
      const c = chain({ breaker: { consecutive: 1 }, bulkhead: { limit: 1 } }, fakeClock());
      await c
        .wrap(flaky(1))(makeCall())
        .catch(() => undefined);
      const gate = deferred();
      const rejects: string[] = [];
      c.events.reject((e) => rejects.push(e.policy));
      const r = settle(c.wrap(() => gate.promise)(makeCall()));
      await flush();
      assert.ok(r.value() instanceof FoxBrokenCircuitError);
      assert.deepEqual(rejects, ['breaker']);
      assert.equal(c.get('bulkhead')!.inFlight, 0);
    });

    it('bulkhead outside hedge: a hedged call holds one slot for all its attempts', async () => {
      const clock = fakeClock();
      const c = chain({ bulkhead: { limit: 1 }, hedge: { after: 10 } }, clock);
      let started = 0;
      const r = settle(
        c.wrap(() => {
          started++;
          return new Promise((res) => clock.setTimeout(() => res(started), 100));
        })(makeCall()),
      );
      await clock.tick(10);
      assert.equal(started, 2);
      assert.equal(c.get('bulkhead')!.inFlight, 1);
      await clock.tick(100);
      assert.equal(r.state(), 'ok');
    });

    it('timeout innermost: each retry attempt gets its own deadline', async () => {
      const clock = fakeClock();
      const c = chain({ retry: { attempts: 2, delay: 0 }, timeout: 50 }, clock);
      let n = 0;
      const r = settle(
        c.wrap(() =>
          n++ === 0
            ? new Promise(() => {})
            : new Promise((res) => clock.setTimeout(() => res('second'), 40)),
        )(makeCall()),
      );
      await clock.tick(95);
      assert.equal(r.value(), 'second');
    });
  });

  it('property: retry fused with the breaker behaves exactly like the plain composition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            fails: fc.integer({ min: 0, max: 4 }),
            gap: fc.integer({ min: 0, max: 80 }),
            slow: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (plan) => {
          const run = async (fuse: boolean) => {
            const clock = fakeClock();
            const c = chain(
              {
                retry: { attempts: 3, backoff: 'constant', delay: 5 },
                breaker: { consecutive: 3, halfOpenAfter: 50, halfOpenCalls: 2 },
              },
              clock,
              { fuse },
            );
            const log: string[] = [];
            for (const name of POLICY_EVENT_NAMES) {
              c.events[name](() => log.push(`${clock.now()}:${name}`));
            }
            for (const step of plan) {
              let n = 0;
              const attempt: Attempt = () =>
                new Promise((res, rej) =>
                  clock.setTimeout(
                    () => (n++ < step.fails ? rej(new Error('x')) : res('ok')),
                    step.slow ? 20 : 0,
                  ),
                );
              c.wrap(attempt)(makeCall()).then(
                (v) => log.push(`${clock.now()}:ok:${String(v)}`),
                (e: unknown) => log.push(`${clock.now()}:err:${(e as Error).name}`),
              );
              await clock.tick(step.gap);
            }
            await clock.tick(1000);
            return log;
          };
          assert.deepEqual(await run(true), await run(false));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('one subscription sees events from every policy; disposing it stops them', async () => {
    const c = chain({ retry: { attempts: 2, delay: 0 }, timeout: 10 }, fakeClock());
    const names: string[] = [];
    const subs = POLICY_EVENT_NAMES.map((name) =>
      (c.events[name] as (l: (v: unknown) => void) => { dispose(): void })(() => names.push(name)),
    );
    await c
      .wrap(flaky(5))(makeCall())
      .catch(() => undefined);
    assert.deepEqual(names, ['retry', 'giveUp']);
    for (const s of subs) s.dispose();
    await c
      .wrap(flaky(5))(makeCall())
      .catch(() => undefined);
    assert.equal(names.length, 2);
  });

  it("each policy's own events see only that policy", async () => {
    const c = chain({ breaker: { consecutive: 1 }, bulkhead: { limit: 1 } }, fakeClock());
    const breakerRejects: string[] = [];
    const bulkheadRejects: string[] = [];
    c.get('breaker')!.events.reject((e) => breakerRejects.push(e.reason));
    c.get('bulkhead')!.events.reject((e) => bulkheadRejects.push(e.reason));
    const breaks: string[] = [];
    c.get('breaker')!.events.break((e) => breaks.push(e.reason));
    const run = c.wrap(() => new Promise(() => {}));
    run(makeCall()).catch(() => undefined);
    await assert.rejects(run(makeCall()));
    assert.deepEqual(bulkheadRejects, ['full']);
    assert.deepEqual(breakerRejects, []);
    c.get('breaker')!.isolate();
    await assert.rejects(run(makeCall()));
    assert.deepEqual(breakerRejects, ['isolated']);
    assert.deepEqual(bulkheadRejects, ['full']);
    assert.deepEqual(breaks, ['isolated']);
  });

  it('describe() gives each policy config as plain JSON', () => {
    const c = chain(
      { retry: { attempts: 2, retryOn: () => true }, cache: { ttl: '1s', key: () => 'k' } },
      fakeClock(),
    );
    const described = JSON.parse(JSON.stringify(c.policies.map((p) => p.describe())));
    assert.deepEqual(described[0], {
      kind: 'cache',
      config: {
        ttl: 1000,
        key: '[function]',
        staleWhileRevalidate: 0,
        max: 1000,
        tiers: ['memory'],
        version: 1,
      },
    });
    assert.equal(described[1].config.retryOn, '[function]');
    assert.equal(described[1].config.attempts, 2);
  });

  it('dispose stops the deadline timers', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: 1000, hedge: { after: 500 } }, clock);
    c.wrap(() => new Promise(() => {}))(makeCall()).catch(() => undefined);
    assert.ok(clock.timers() > 0);
    c.dispose();
    assert.equal(clock.timers(), 0);
  });
});
