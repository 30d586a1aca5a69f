import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { Clock } from '../../src/clock/clock.js';
import { FoxConfigError } from '../../src/errors/errors.js';
import { fox } from '../../src/index.js';
import { buildPolicies, type PolicyChain } from '../../src/policies/index.js';
import { tierKey } from '../../src/policies/cache/cache-key.js';
import { closeCacheTiers } from '../../src/policies/cache/tier-settings.js';
import {
  FoxCacheValueError,
  decodeCacheValue,
  encodeCacheValue,
  jsonProblem,
} from '../../src/policies/cache/value-codec.js';
import { loadRedisClient } from '../../src/policies/cache/redis-connection.js';
import type { Call } from '../../src/task/call.js';
import { fakeClock, flush, makeCall } from './fixtures.js';
import { runCacheChild } from './cache-tiers-child-runner.js';

/** A chain with the given cache options for task `taskId`. */
function cached(cache: Record<string, unknown>, clock: Clock, taskId = 'test#fn'): PolicyChain {
  const c = buildPolicies({ cache }, { taskId, clock });
  if (!c) throw new Error('no chain');
  return c;
}

/** An attempt that counts its runs and returns `{ k, n }` (n = this run's number). */
function counting(): ((call: Call) => Promise<unknown>) & { calls: number } {
  const f = ((call: Call) => {
    f.calls++;
    return Promise.resolve({ k: call.args[0], n: f.calls });
  }) as ((call: Call) => Promise<unknown>) & { calls: number };
  f.calls = 0;
  return f;
}

function rows(file: string): { key: string; value: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT key, value FROM cache_entries ORDER BY key').all() as {
      key: string;
      value: string;
    }[];
  } finally {
    db.close();
  }
}

describe('cache tiers: options', () => {
  const bad = (cache: Record<string, unknown>): FoxConfigError => {
    try {
      buildPolicies({ cache }, { taskId: 't#x', clock: fakeClock() });
    } catch (err) {
      assert.ok(err instanceof FoxConfigError, String(err));
      return err;
    }
    assert.fail('expected a FoxConfigError');
  };

  it('accepts any prefix of memory, sqlite, redis; defaults to memory', () => {
    for (const tiers of [['memory'], ['memory', 'sqlite'], ['memory', 'sqlite', 'redis']]) {
      const c = cached({ ttl: 10, tiers }, fakeClock());
      assert.deepEqual(c.get('cache')!.config.tiers, tiers);
    }
    assert.deepEqual(cached({ ttl: 10 }, fakeClock()).get('cache')!.config.tiers, ['memory']);
  });

  it('rejects tiers out of order, skipped, unknown or empty, naming cache.tiers', () => {
    for (const tiers of [['sqlite'], ['memory', 'redis'], ['redis', 'memory'], ['disk'], []]) {
      const err = bad({ ttl: 10, tiers });
      assert.deepEqual(err.path.slice(0, 2), ['cache', 'tiers'], err.message);
    }
  });

  it('rejects tier settings for a tier not in use, and l2 with the sqlite tier', () => {
    assert.deepEqual(bad({ ttl: 10, redis: { ttl: 5 } }).path, ['cache', 'redis']);
    assert.deepEqual(bad({ ttl: 10, sqlite: { maxEntries: 5 } }).path, ['cache', 'sqlite']);
    const l2 = { get: () => undefined, set: () => undefined };
    assert.deepEqual(bad({ ttl: 10, tiers: ['memory', 'sqlite'], l2 }).path, ['cache', 'l2']);
    const url = bad({ ttl: 10, tiers: ['memory', 'sqlite', 'redis'], redis: { connection: 'x' } });
    assert.deepEqual(url.path, ['cache', 'redis', 'connection']);
  });

  it('fox() throws at decoration, naming the option', () => {
    assert.throws(
      () =>
        fox(
          { id: 'cache-tiers#bad', cache: { ttl: 10, tiers: ['redis'] } } as never,
          async () => 1,
        ),
      (err: unknown) => err instanceof FoxConfigError && /option 'cache\.tiers'/.test(err.message),
    );
  });

  it('fox.configure({ cacheRedis }) is validated at configure time', () => {
    for (const cacheRedis of ['http://127.0.0.1:6379', 42, '']) {
      assert.throws(
        () => fox.configure({ cacheRedis } as never),
        (err: unknown) => err instanceof FoxConfigError && err.path[0] === 'cacheRedis',
        String(cacheRedis),
      );
    }
  });

  it('the redis tier names ioredis when it cannot be loaded', async () => {
    await assert.rejects(
      loadRedisClient(() => Promise.reject(new Error("Cannot find package 'ioredis'"))),
      (err: unknown) =>
        err instanceof FoxConfigError &&
        /needs the optional package 'ioredis'/.test(err.message) &&
        /npm i ioredis/.test(err.message),
    );
  });
});

describe('cache tiers: the JSON codec', () => {
  it('property: a value is refused, or JSON gives it back equal', () => {
    const normal = (v: unknown): unknown => (Object.is(v, -0) ? 0 : v);
    fc.assert(
      fc.property(
        fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true }),
        (v) => {
          if (jsonProblem(v) !== undefined) {
            assert.throws(() => encodeCacheValue('t#x', v), FoxCacheValueError);
            return;
          }
          const back = decodeCacheValue(encodeCacheValue('t#x', v));
          assert.deepStrictEqual(
            back,
            JSON.parse(JSON.stringify(v), (_k, x: unknown) => normal(x)),
          );
          assert.deepStrictEqual(
            JSON.stringify(back),
            JSON.stringify(v),
            'the encoded form is the value itself',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names where in the value the problem is', () => {
    assert.deepEqual(jsonProblem({ items: [1, { at: new Date(0) }] }), {
      path: '$.items[1].at',
      reason: 'is a Date (only plain objects and arrays survive JSON)',
    });
    assert.equal(jsonProblem({ a: undefined })?.path, '$.a');
    assert.match(jsonProblem(NaN)!.reason, /NaN/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.equal(jsonProblem(cycle)?.reason, 'is a cycle');
    assert.equal(jsonProblem([{ a: 1 }, { a: 1 }]), undefined, 'shared is not a cycle');
  });
});

describe('cache tiers: L2 SQLite', function () {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-cache-l2-'));
    file = join(dir, 'cache.db');
  });
  afterEach(async () => {
    await closeCacheTiers();
    rmSync(dir, { recursive: true, force: true });
  });

  const l2 = (extra: Record<string, unknown> = {}, ttl = 100) => ({
    ttl,
    tiers: ['memory', 'sqlite'],
    sqlite: { path: file, ...extra },
  });

  it('falls through to L2 on an L1 miss and fills L1 back', async () => {
    const clock = fakeClock();
    const a = counting();
    const first = cached(l2(), clock);
    assert.deepEqual(await first.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    assert.equal(rows(file).length, 1, 'the fill wrote L2');
    // Another task instance (a restarted process on this machine): L1 empty, L2 has it.
    const second = cached(l2(), clock);
    const levels: string[] = [];
    second.events.cacheHit((e) => levels.push(e.level));
    const run = second.wrap(a);
    assert.deepEqual(await run(makeCall(['k'])), { k: 'k', n: 1 });
    assert.deepEqual(await run(makeCall(['k'])), { k: 'k', n: 1 });
    assert.equal(a.calls, 1);
    assert.deepEqual(levels, ['l2', 'l1'], 'the L2 hit was written back into L1');
    const s = second.get('cache')!.stats();
    assert.deepEqual([s.l1.misses, s.l1.hits, s.l2.hits, s.l2.misses], [1, 1, 1, 0]);
    assert.equal(s.codec, 'json');
  });

  it('per-tier TTLs: L1 for ttl, L2 for sqlite.ttl, a write-back never outlives its source', async () => {
    const clock = fakeClock();
    const a = counting();
    const run = cached(l2({ ttl: 1000 }, 100), clock).wrap(a);
    await run(makeCall(['k']));
    await clock.tick(150); // L1 expired, L2 fresh until 1000
    assert.equal(((await run(makeCall(['k']))) as { n: number }).n, 1);
    await clock.tick(800); // t = 950: L1 copy (100 ms from t = 150) expired, L2 still fresh
    assert.equal(((await run(makeCall(['k']))) as { n: number }).n, 1);
    await clock.tick(60); // t = 1010: L1 copy would last until 1050, but its source ended at 1000
    assert.equal(((await run(makeCall(['k']))) as { n: number }).n, 2);
    assert.equal(a.calls, 2);
  });

  it('survives a restart: a new process reads what the last one stored', async () => {
    const env = { tiers: ['memory', 'sqlite'], sqlite: { path: file }, arg: 7, delayMs: 0 };
    const before = await runCacheChild(env);
    assert.deepEqual(before.value.square, 49);
    assert.equal(before.stats.computed, 1);
    const after = await runCacheChild(env);
    assert.equal(after.stats.computed, 0, 'the second process computed nothing');
    assert.equal(after.stats.l2.hits, 1);
    assert.equal(after.value.by, before.value.by, 'the value the first process computed');
  });

  it('bounds L2 per task: expired rows first, then the least recently used', async () => {
    const clock = fakeClock();
    const a = counting();
    const c = cached(l2({ maxEntries: 3, ttl: 10_000 }), clock);
    const run = c.wrap(a);
    const other = cached(l2({ maxEntries: 3 }), clock, 'test#other');
    await other.wrap(a)(makeCall(['x'])); // another task's row is not this task's to evict
    for (const k of ['a', 'b', 'c']) {
      await run(makeCall([k]));
      await clock.tick(2000);
    }
    // Read 'a' again through a fresh L1, so L2 marks it used: 'b' is now the oldest.
    await cached(l2({ maxEntries: 3, ttl: 10_000 }), clock).wrap(a)(makeCall(['a']));
    await clock.tick(2000);
    await run(makeCall(['d']));
    const keys = rows(file).map((r) => r.key);
    assert.deepEqual(keys, [
      tierKey('test#fn', 1, 'a'),
      tierKey('test#fn', 1, 'c'),
      tierKey('test#fn', 1, 'd'),
      tierKey('test#other', 1, 'x'),
    ]);
    assert.equal(c.get('cache')!.stats().evictions, 1);
  });

  it('a corrupt entry is a counted miss, replaced by the fill', async () => {
    const clock = fakeClock();
    const a = counting();
    await cached(l2(), clock).wrap(a)(makeCall(['k']));
    const db = new Database(file);
    db.prepare('UPDATE cache_entries SET value = ?').run('{"torn');
    db.close();
    const c = cached(l2(), clock);
    assert.deepEqual(await c.wrap(a)(makeCall(['k'])), { k: 'k', n: 2 });
    const s = c.get('cache')!.stats();
    assert.equal(s.corrupt, 1);
    assert.equal(s.l2.misses, 1);
    assert.equal(JSON.parse(rows(file)[0]!.value).n, 2);
  });

  it('a result the codec refuses fails the call with FOX_DATA_CLONE and is cached nowhere', async () => {
    const clock = fakeClock();
    let calls = 0;
    const run = cached(l2(), clock).wrap(() => {
      calls++;
      return Promise.resolve({ at: new Date(0) });
    });
    await assert.rejects(run(makeCall(['k'])), (err: unknown) => {
      assert.ok(err instanceof FoxCacheValueError);
      assert.equal(err.code, 'FOX_DATA_CLONE');
      assert.match(err.message, /\$\.at is a Date/);
      return true;
    });
    await assert.rejects(run(makeCall(['k'])), FoxCacheValueError);
    assert.equal(calls, 2);
    assert.equal(rows(file).length, 0);
  });

  it('invalidate(key) drops the key from every tier', async () => {
    const clock = fakeClock();
    const a = counting();
    const c = cached(l2(), clock);
    const run = c.wrap(a);
    await run(makeCall(['k']));
    await run(makeCall(['other']));
    c.get('cache')!.invalidate('k');
    assert.deepEqual(
      rows(file).map((r) => r.key),
      [tierKey('test#fn', 1, 'other')],
    );
    assert.deepEqual(await run(makeCall(['k'])), { k: 'k', n: 3 });
  });

  it('keys are namespaced by task id and version', async () => {
    const clock = fakeClock();
    const a = counting();
    await cached(l2(), clock).wrap(a)(makeCall(['k']));
    await cached(l2(), clock, 'test#another').wrap(a)(makeCall(['k']));
    assert.equal(a.calls, 2, 'another task does not read this one');
    await cached({ ...l2(), version: 2 }, clock).wrap(a)(makeCall(['k']));
    assert.equal(a.calls, 3, 'a bumped version misses');
    await cached({ ...l2(), version: 2 }, clock).wrap(a)(makeCall(['k']));
    assert.equal(a.calls, 3);
  });

  it('stale-while-revalidate across tiers: a stale L2 value is served, refreshed once', async () => {
    const clock = fakeClock();
    const a = counting();
    const swr = { ...l2(), staleWhileRevalidate: 1000 };
    await cached(swr, clock).wrap(a)(makeCall(['k']));
    await clock.tick(500); // past ttl, within the stale window
    const c = cached(swr, clock);
    const hits: string[] = [];
    c.events.cacheHit((e) => hits.push(`${e.level}:${e.stale}`));
    const run = c.wrap(a);
    const [x, y] = await Promise.all([run(makeCall(['k'])), run(makeCall(['k']))]);
    assert.deepEqual(
      [x, y],
      [
        { k: 'k', n: 1 },
        { k: 'k', n: 1 },
      ],
      'stale answers at once',
    );
    await flush(20);
    assert.equal(a.calls, 2, 'one background refresh');
    // The first read found it stale in L2 and wrote it back; the second found that copy in L1.
    assert.deepEqual(hits, ['l2:true', 'l1:true']);
    // A third instance finds the refreshed value fresh in L2.
    assert.deepEqual(await cached(swr, clock).wrap(a)(makeCall(['k'])), { k: 'k', n: 2 });
    assert.equal(a.calls, 2);
  });

  it('coalesces concurrent misses in a process across the L2 read', async () => {
    const clock = fakeClock();
    const a = counting();
    const c = cached(l2(), clock);
    const run = c.wrap(a);
    const all = await Promise.all([1, 2, 3, 4].map(() => run(makeCall(['k']))));
    assert.equal(a.calls, 1);
    assert.ok(all.every((v) => (v as { n: number }).n === 1));
    assert.equal(c.get('cache')!.stats().coalesced, 3);
  });

  it('configure() adds a tier at run time, with the same validation as decoration', async () => {
    const clock = fakeClock();
    const a = counting();
    const c = cached({ ttl: 1000 }, clock);
    const policy = c.get('cache')!;
    assert.throws(
      () => policy.configure({ tiers: ['sqlite'] }),
      (err: unknown) => err instanceof FoxConfigError && err.path.join('.') === 'cache.tiers',
    );
    assert.deepEqual(policy.config.tiers, ['memory'], 'unchanged after a refused change');
    policy.configure({ tiers: ['memory', 'sqlite'], sqlite: { path: file } });
    await c.wrap(a)(makeCall(['k']));
    assert.equal(rows(file).length, 1, 'the new tier is written');
  });

  it('property: with L2, a key never runs twice at once in a process', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            duration: fc.integer({ min: 0, max: 100 }),
            fail: fc.boolean(),
            gap: fc.integer({ min: 0, max: 60 }),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        async (plan, ttl, swr) => {
          const clock = fakeClock();
          // Each run its own version: a namespace of its own in the shared file.
          const c = cached(
            { ...l2({ maxEntries: 2 }, ttl), staleWhileRevalidate: swr, max: 1, version: ++run },
            clock,
          );
          const running = new Map<string, number>();
          const attempt = (call: Call) => {
            const k = call.args[0] as string;
            const n = (running.get(k) ?? 0) + 1;
            assert.ok(n <= 1, `key ${k} running ${n} times at once`);
            running.set(k, n);
            const step = plan.find((p) => p.key === k)!;
            return new Promise((resolve, reject) =>
              clock.setTimeout(() => {
                running.set(k, running.get(k)! - 1);
                if (step.fail) reject(new Error('x'));
                else resolve(k);
              }, step.duration),
            );
          };
          const wrapped = c.wrap(attempt);
          for (const step of plan) {
            wrapped(makeCall([step.key])).catch(() => undefined);
            await clock.tick(step.gap);
          }
          await clock.tick(1000);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an L2 file that cannot be opened rejects the call with FoxStoreError (no throw)', async () => {
    const clock = fakeClock();
    // A directory where the file should be: SQLite cannot open it.
    const run = cached({ ...l2(), sqlite: { path: dir } }, clock).wrap(counting());
    let result: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (result = run(makeCall(['k']))));
    await assert.rejects(
      result!,
      (err: unknown) => (err as { code?: string }).code === 'FOX_STORE',
    );
  });

  it('L2 survives closing its connection in the middle: the next call reopens it', async () => {
    const clock = fakeClock();
    const a = counting();
    const run = cached(l2({ ttl: 1000 }), clock).wrap(a);
    await run(makeCall(['k']));
    await closeCacheTiers();
    await clock.tick(150);
    assert.deepEqual(await run(makeCall(['k'])), { k: 'k', n: 1 });
  });
});
