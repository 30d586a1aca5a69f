import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Attempt } from '../../src/modes/strategy.js';
import type { CacheL2, CacheL2Entry } from '../../src/policies/index.js';
import { defaultCacheKey } from '../../src/policies/cache.js';
import type { Call } from '../../src/task/call.js';
import { chain, deferred, fakeClock, flush, makeCall, settle } from './fixtures.js';

function counting(value: (call: Call) => unknown = (c) => `v:${String(c.args[0])}`): Attempt & {
  calls: number;
} {
  const f = ((call: Call) => {
    f.calls++;
    return Promise.resolve(value(call));
  }) as Attempt & { calls: number };
  f.calls = 0;
  return f;
}

class MapL2 implements CacheL2 {
  readonly map = new Map<string, CacheL2Entry>();
  get(key: string) {
    return this.map.get(key);
  }
  set(key: string, entry: CacheL2Entry) {
    this.map.set(key, entry);
  }
}

describe('cache policy', () => {
  it('hits within ttl, misses after it; cacheHit/cacheMiss events', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 1000 } }, clock);
    const seen: string[] = [];
    c.events.cacheHit((e) => seen.push(`hit:${e.key}:${e.level}`));
    c.events.cacheMiss((e) => seen.push(`miss:${e.key}`));
    const a = counting();
    const run = c.wrap(a);
    assert.equal(await run(makeCall(['x'])), 'v:x');
    assert.equal(await run(makeCall(['x'])), 'v:x');
    assert.equal(a.calls, 1);
    await clock.tick(1000);
    await run(makeCall(['x']));
    assert.equal(a.calls, 2);
    assert.deepEqual(seen, ['miss:x', 'hit:x:l1', 'miss:x']);
  });

  it('uses the key function', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 1000, key: (o: { id: string }) => o.id } }, clock);
    const a = counting((call) => (call.args[0] as { v: number }).v);
    const run = c.wrap(a);
    assert.equal(await run(makeCall([{ id: 'a', v: 1 }])), 1);
    assert.equal(await run(makeCall([{ id: 'a', v: 2 }])), 1);
    assert.equal(await run(makeCall([{ id: 'b', v: 3 }])), 3);
  });

  it('default key tells types apart', () => {
    assert.notEqual(defaultCacheKey([1]), defaultCacheKey(['1']));
    assert.notEqual(defaultCacheKey([1, 2]), defaultCacheKey(['1,2']));
    assert.equal(defaultCacheKey([{ a: 1 }]), defaultCacheKey([{ a: 1 }]));
  });

  it('never caches errors', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 1000 } }, clock);
    let n = 0;
    const run = c.wrap(() => (n++ === 0 ? Promise.reject(new Error('x')) : Promise.resolve('ok')));
    await assert.rejects(run(makeCall(['k'])));
    assert.equal(await run(makeCall(['k'])), 'ok');
  });

  it('stale-while-revalidate: serves stale at once and refreshes once in the background', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 100, staleWhileRevalidate: 1000 } }, clock);
    let version = 0;
    const gate = deferred();
    const run = c.wrap(async () => {
      version++;
      if (version === 2) await gate.promise;
      return version;
    });
    assert.equal(await run(makeCall(['k'])), 1);
    await clock.tick(150);
    assert.equal(await run(makeCall(['k'])), 1);
    assert.equal(await run(makeCall(['k'])), 1);
    assert.equal(version, 2, 'one refresh, not one per stale hit');
    gate.resolve(undefined);
    await flush();
    assert.equal(await run(makeCall(['k'])), 2);
    await clock.tick(2000);
    assert.equal(await run(makeCall(['k'])), 3);
  });

  it('coalesces concurrent misses of a key into one call', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 1000 } }, clock);
    const gate = deferred<string>();
    let calls = 0;
    const run = c.wrap(() => {
      calls++;
      return gate.promise;
    });
    const rs = [1, 2, 3].map(() => settle(run(makeCall(['k']))));
    gate.resolve('one');
    await flush();
    assert.equal(calls, 1);
    assert.deepEqual(
      rs.map((r) => r.value()),
      ['one', 'one', 'one'],
    );
  });

  it('bounds L1 by max (LRU)', async () => {
    const clock = fakeClock();
    const c = chain({ cache: { ttl: 10_000, max: 2 } }, clock);
    const a = counting();
    const run = c.wrap(a);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) await run(makeCall([k]));
    // a, b, (a hit), c evicts b, (a hit), b again.
    assert.equal(a.calls, 4);
    assert.equal(c.get('cache')!.size, 2);
  });

  it('L2: filled on a miss, read on an L1 miss, expired by wall time', async () => {
    const clock = fakeClock();
    const l2 = new MapL2();
    const c1 = chain({ cache: { ttl: 1000, l2 } }, clock);
    const a = counting();
    await c1.wrap(a)(makeCall(['k']));
    assert.equal(l2.map.size, 1);
    // A fresh task (another process) sharing the store.
    const c2 = chain({ cache: { ttl: 1000, l2 } }, clock);
    const hits: string[] = [];
    c2.events.cacheHit((e) => hits.push(e.level));
    const b = counting();
    assert.equal(await c2.wrap(b)(makeCall(['k'])), 'v:k');
    assert.equal(b.calls, 0);
    assert.deepEqual(hits, ['l2']);
    await clock.tick(1000);
    await c2.wrap(b)(makeCall(['k']));
    assert.equal(b.calls, 1);
  });

  it('an L2 that throws never fails the call', async () => {
    const clock = fakeClock();
    const broken: CacheL2 = {
      get: () => {
        throw new Error('db locked');
      },
      set: () => {
        throw new Error('db locked');
      },
    };
    const c = chain({ cache: { ttl: 1000, l2: broken } }, clock);
    assert.equal(await c.wrap(counting())(makeCall(['k'])), 'v:k');
  });

  it('property: a cached key never runs twice concurrently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            duration: fc.integer({ min: 0, max: 100 }),
            fail: fc.boolean(),
            gap: fc.integer({ min: 0, max: 60 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        async (plan, ttl, swr) => {
          const clock = fakeClock();
          const c = chain({ cache: { ttl, staleWhileRevalidate: swr, max: 2 } }, clock);
          const running = new Map<string, number>();
          for (const step of plan) {
            const run = c.wrap((call) => {
              const k = call.args[0] as string;
              const n = (running.get(k) ?? 0) + 1;
              assert.ok(n <= 1, `key ${k} running ${n} times at once`);
              running.set(k, n);
              return new Promise((resolve, reject) =>
                clock.setTimeout(() => {
                  running.set(k, running.get(k)! - 1);
                  if (step.fail) reject(new Error('x'));
                  else resolve(k);
                }, step.duration),
              );
            });
            run(makeCall([step.key])).catch(() => undefined);
            await clock.tick(step.gap);
          }
          await clock.tick(1000);
        },
      ),
      { numRuns: 150 },
    );
  });
});
