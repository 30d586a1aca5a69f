import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { FoxConfigError } from '../../src/errors/errors.js';
import { buildPolicies, type PolicyChain } from '../../src/policies/index.js';
import { lockKeyOf, tierKey } from '../../src/policies/cache/cache-key.js';
import { CACHE_WARNING } from '../../src/policies/cache/redis-connection.js';
import { closeCacheTiers, configureCacheTiers } from '../../src/policies/cache/tier-settings.js';
import type { Call } from '../../src/task/call.js';
import {
  freeLoopbackPort,
  redisAvailable,
  startRedis,
  type RedisServer,
} from '../support/redis-server.js';
import { fakeClock, makeCall } from './fixtures.js';
import { startCacheChild } from './cache-tiers-child-runner.js';

function cached(cache: Record<string, unknown>, clock: Clock, taskId = 'test#fn'): PolicyChain {
  const c = buildPolicies({ cache }, { taskId, clock });
  if (!c) throw new Error('no chain');
  return c;
}

/** Counts runs; returns `{ k, n }`, after `delayMs` of real time when given. */
function counting(delayMs = 0): ((call: Call) => Promise<unknown>) & { calls: number } {
  const f = (async (call: Call) => {
    const n = ++f.calls;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return { k: call.args[0], n };
  }) as ((call: Call) => Promise<unknown>) & { calls: number };
  f.calls = 0;
  return f;
}

/** Collects process warnings of the cache's type while `fn` runs (and a moment after). */
async function cacheWarnings(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (w: Error) => {
    if (w.name === CACHE_WARNING) seen.push(w.message);
  };
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('cache tiers: L3 Redis', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let raw: Redis;
  let dir: string;
  /** Each cache below gets its own L2 file (its own machine), unless a test shares one. */
  let files = 0;

  before(async function () {
    if (!redisAvailable) this.skip();
    redis = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
    raw = new Redis(redis.url);
  });
  after(async () => {
    raw?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-cache-l3-'));
    await raw.flushall();
  });
  afterEach(async () => {
    await closeCacheTiers();
    configureCacheTiers({ redis: undefined, storePath: undefined });
    rmSync(dir, { recursive: true, force: true });
  });

  const all = (machine: string, extra: Record<string, unknown> = {}) => ({
    ttl: 60_000,
    tiers: ['memory', 'sqlite', 'redis'],
    sqlite: { path: join(dir, `${machine}.db`) },
    redis: { connection: redis.url, ...extra },
  });

  it('reads fall through L1 → L2 → L3 and a hit fills the tiers above', async () => {
    const a = counting();
    const one = cached(all('machine-1'), systemClock);
    assert.deepEqual(await one.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    const stored = await raw.get(tierKey('test#fn', 1, 'k'));
    assert.deepEqual(JSON.parse(stored!).v, { k: 'k', n: 1 }, 'the fill wrote L3');

    // A process on another machine: its own L1 and L2, the shared L3.
    const two = cached(all('machine-2'), systemClock);
    const levels: string[] = [];
    two.events.cacheHit((e) => levels.push(e.level));
    assert.deepEqual(await two.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    assert.equal(a.calls, 1);
    const s = two.get('cache')!.stats();
    assert.deepEqual([s.l1.misses, s.l2.misses, s.l3.hits], [1, 1, 1]);

    // A second process on machine 2 finds it in machine 2's L2, without Redis.
    await raw.del(tierKey('test#fn', 1, 'k'));
    const three = cached(all('machine-2'), systemClock);
    three.events.cacheHit((e) => levels.push(e.level));
    assert.deepEqual(await three.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    assert.deepEqual(levels, ['l3', 'l2']);
    assert.equal(a.calls, 1);
  });

  it('L3 keeps its own TTL (fake clock: entry times come from the task clock)', async () => {
    const clock = fakeClock();
    const a = counting();
    const opts = {
      ttl: 100,
      tiers: ['memory', 'sqlite', 'redis'],
      sqlite: { path: join(dir, `${++files}.db`), ttl: 100 },
      redis: { connection: redis.url, ttl: 1000 },
    };
    await cached(opts, clock).wrap(a)(makeCall(['k']));
    await clock.tick(500);
    const fresh = cached(opts, clock);
    assert.equal(((await fresh.wrap(a)(makeCall(['k']))) as { n: number }).n, 1);
    await clock.tick(600);
    assert.equal(((await cached(opts, clock).wrap(a)(makeCall(['k']))) as { n: number }).n, 2);
    const ttlMs = await raw.pttl(tierKey('test#fn', 1, 'k'));
    assert.ok(ttlMs > 0 && ttlMs <= 1000, `Redis drops it with the entry (pttl ${ttlMs})`);
  });

  it('stale-while-revalidate through L3: served stale at once, refreshed once', async () => {
    const a = counting();
    const swr = (m: string) => ({ ...all(m), ttl: 1000, staleWhileRevalidate: 60_000 });
    await cached(swr('m1'), systemClock).wrap(a)(makeCall(['k']));
    await new Promise((r) => setTimeout(r, 1050));
    const two = cached(swr('m2'), systemClock);
    const hits: string[] = [];
    two.events.cacheHit((e) => hits.push(`${e.level}:${e.stale}`));
    assert.deepEqual(await two.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 }, 'stale, at once');
    const deadline = Date.now() + 5000;
    while (a.calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.calls, 2, 'one background refresh');
    assert.deepEqual(hits, ['l3:true']);
    // Another machine now finds the refreshed value fresh in L3.
    assert.deepEqual(await cached(swr('m3'), systemClock).wrap(a)(makeCall(['k'])), {
      k: 'k',
      n: 2,
    });
    assert.equal(a.calls, 2);
  });

  it('corrupt or foreign L3 entries are counted misses, never a crash', async () => {
    const a = counting();
    const key = tierKey('test#fn', 1, 'k');
    for (const junk of ['{"torn', '{"x":1}', '[1,2]', '{"f":"soon","s":1,"v":1}']) {
      await raw.set(key, junk);
      const c = cached(
        {
          ttl: 60_000,
          tiers: ['memory', 'sqlite', 'redis'],
          sqlite: { path: join(dir, `${++files}.db`) },
          redis: { connection: redis.url },
        },
        systemClock,
      );
      const v = (await c.wrap(a)(makeCall(['k']))) as { n: number };
      assert.equal(c.get('cache')!.stats().corrupt, 1, junk);
      assert.equal(v.n, a.calls, 'computed');
      assert.equal(JSON.parse((await raw.get(key))!).v.n, a.calls, 'and replaced');
    }
  });

  it('coalesces two processes missing one key: one computes, the other waits for its value', async () => {
    const a = counting(300);
    const p1 = cached(all('m1'), systemClock);
    const p2 = cached(all('m2'), systemClock);
    const [x, y] = await Promise.all([p1.wrap(a)(makeCall(['k'])), p2.wrap(a)(makeCall(['k']))]);
    assert.equal(a.calls, 1);
    assert.deepEqual(x, y);
    const stats = [p1, p2].map((c) => c.get('cache')!.stats());
    assert.equal(stats[0]!.coalescedAcrossProcesses + stats[1]!.coalescedAcrossProcesses, 1);
    assert.equal(await raw.exists(lockKeyOf(tierKey('test#fn', 1, 'k'))), 0, 'lock released');
  });

  it('a holder computing longer than lockTtl keeps its lock (extended while it runs)', async () => {
    const a = counting(1000);
    const opts = (m: string) => all(m, { lockTtl: 300, lockWait: 5000 });
    const p1 = cached(opts('m1'), systemClock);
    const p2 = cached(opts('m2'), systemClock);
    const first = p1.wrap(a)(makeCall(['slow']));
    await new Promise((r) => setTimeout(r, 50));
    const [x, y] = await Promise.all([first, p2.wrap(a)(makeCall(['slow']))]);
    assert.equal(a.calls, 1, 'the waiter never took the lock over');
    assert.deepEqual(x, y);
  });

  it('describe() leaves the cache Redis credentials out', () => {
    const c = cached(
      {
        ttl: 1000,
        tiers: ['memory', 'sqlite', 'redis'],
        sqlite: { path: join(dir, 'd.db') },
        redis: { connection: 'redis://user:s3cret@127.0.0.1:6379/2' },
      },
      systemClock,
    );
    const text = JSON.stringify(c.get('cache')!.describe());
    assert.doesNotMatch(text, /s3cret/);
    assert.match(text, /redis:\/\/\*\*\*@127\.0\.0\.1:6379\/2/);
  });

  it('bounded wait: past lockWait a waiter computes for itself', async () => {
    const key = tierKey('test#fn', 1, 'k');
    await raw.set(lockKeyOf(key), 'someone-else', 'PX', 30_000); // a live, slow holder
    const a = counting();
    const c = cached(all('m', { lockWait: 300 }), systemClock);
    const started = Date.now();
    assert.deepEqual(await c.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    const waited = Date.now() - started;
    assert.ok(waited >= 300 && waited < 3000, `waited ${waited} ms`);
    assert.equal(c.get('cache')!.stats().lockWaitTimeouts, 1);
  });

  it('8 processes × the same cold key → 1 computation', async function () {
    const log = join(dir, 'computed.log');
    writeFileSync(log, '');
    const children = Array.from({ length: 8 }, (_, i) =>
      startCacheChild({
        tiers: ['memory', 'sqlite', 'redis'],
        sqlite: { path: join(dir, `p${i}.db`) },
        cacheRedis: redis.url,
        arg: 12,
        delayMs: 500,
        log,
        waitForGo: true,
      }),
    );
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const results = await Promise.all(children.map((c) => c.result));
    const ran = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(ran.length, 1, `computed by ${ran.join(', ')}`);
    const by = new Set(results.map((r) => r.value.by));
    assert.deepEqual([...by], [Number(ran[0])], 'everyone got the one computed value');
    assert.equal(
      results.reduce((n, r) => n + r.stats.computed, 0),
      1,
    );
    // The other 7 waited for its value, or (started late on a busy machine) found it in L3.
    assert.equal(
      results.reduce((n, r) => n + r.stats.coalescedAcrossProcesses + r.stats.l3.hits, 0),
      7,
    );
  });

  it('a lock holder killed mid-computation: the waiter takes over once its lock expires', async () => {
    const log = join(dir, 'computed.log');
    writeFileSync(log, '');
    const holder = startCacheChild({
      tiers: ['memory', 'sqlite', 'redis'],
      sqlite: { path: join(dir, `${++files}.db`) },
      redis: { connection: redis.url, lockTtl: 800 },
      arg: 3,
      delayMs: 60_000,
      log,
    });
    await holder.computing;
    const key = tierKey('test/cache-child.ts#square', 1, 'n:3');
    assert.equal(await raw.exists(lockKeyOf(key)), 1, 'the holder has the lock');
    holder.process.kill('SIGKILL');
    const c = cached(
      {
        ttl: 60_000,
        tiers: ['memory', 'sqlite', 'redis'],
        sqlite: { path: join(dir, `${++files}.db`) },
        redis: { connection: redis.url, lockWait: 10_000 },
      },
      systemClock,
      'test/cache-child.ts#square',
    );
    let calls = 0;
    const started = Date.now();
    const v = await c.wrap(async (call) => {
      calls++;
      return { square: (call.args[0] as number) ** 2 };
    })(makeCall([3]));
    const waited = Date.now() - started;
    assert.deepEqual(v, { square: 9 });
    assert.equal(calls, 1);
    assert.ok(waited < 5000, `took over after ${waited} ms, well within lockWait`);
    assert.equal(c.get('cache')!.stats().lockWaitTimeouts, 0, 'took over, did not time out');
  });

  it('warns at start-up when the cache Redis has maxmemory-policy noeviction', async () => {
    const queueLike = await startRedis(); // noeviction, as BullMQ needs
    try {
      const warned = await cacheWarnings(() =>
        cached(
          {
            ttl: 1000,
            tiers: ['memory', 'sqlite', 'redis'],
            sqlite: { path: join(dir, `${++files}.db`) },
            redis: { connection: queueLike.url },
          },
          systemClock,
        ).wrap(counting())(makeCall(['k'])),
      );
      assert.equal(warned.length, 1);
      assert.match(warned[0]!, /noeviction/);
      assert.match(warned[0]!, /own Redis/);
      const quiet = await cacheWarnings(() =>
        cached(
          {
            ttl: 1000,
            tiers: ['memory', 'sqlite', 'redis'],
            sqlite: { path: join(dir, `${++files}.db`) },
            redis: { connection: redis.url },
          },
          systemClock,
        ).wrap(counting())(makeCall(['k2'])),
      );
      assert.deepEqual(quiet, [], 'allkeys-lru: no warning');
      await closeCacheTiers();
      // Given to fox.configure, the cache's Redis is checked at start-up, before any call.
      const another = await startRedis();
      try {
        const atStartup = await cacheWarnings(async () => {
          configureCacheTiers({ redis: another.url });
          await new Promise((r) => setTimeout(r, 300));
        });
        assert.equal(atStartup.length, 1);
        assert.match(atStartup[0]!, new RegExp(String(another.port)));
      } finally {
        await closeCacheTiers();
        await another.stop();
      }
    } finally {
      await closeCacheTiers();
      await queueLike.stop();
    }
  });

  it('takes its connection from fox.configure-level settings, else says how to give one', async () => {
    const opts = {
      ttl: 1000,
      tiers: ['memory', 'sqlite', 'redis'],
      sqlite: { path: join(dir, `${++files}.db`) },
    };
    const saved = process.env.FOX_CACHE_REDIS;
    delete process.env.FOX_CACHE_REDIS;
    try {
      await assert.rejects(
        cached(opts, systemClock).wrap(counting())(makeCall(['k'])),
        (err: unknown) =>
          err instanceof FoxConfigError &&
          /cacheRedis/.test(err.message) &&
          /not the queue's/.test(err.message),
      );
      configureCacheTiers({ redis: redis.url });
      await cached(opts, systemClock).wrap(counting())(makeCall(['k']));
      assert.ok(await raw.exists(tierKey('test#fn', 1, 'k')));
    } finally {
      if (saved !== undefined) process.env.FOX_CACHE_REDIS = saved;
    }
  });

  it('an unreachable Redis is a counted miss: calls still succeed', async () => {
    const port = await freeLoopbackPort();
    const c = cached(
      {
        ttl: 1000,
        tiers: ['memory', 'sqlite', 'redis'],
        sqlite: { path: join(dir, `${++files}.db`) },
        redis: { connection: `redis://127.0.0.1:${port}` },
      },
      systemClock,
    );
    const a = counting();
    assert.deepEqual(await c.wrap(a)(makeCall(['k'])), { k: 'k', n: 1 });
    assert.ok(c.get('cache')!.stats().l3.errors > 0);
  });

  it('Redis killed under a running cache: calls go on, and use it again once it is back', async () => {
    const own = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
    try {
      const opts = {
        ttl: 60_000,
        tiers: ['memory', 'sqlite', 'redis'],
        sqlite: { path: join(dir, `${++files}.db`) },
        redis: { connection: own.url },
      };
      const c = cached(opts, systemClock);
      const a = counting();
      const run = c.wrap(a);
      await run(makeCall(['before']));
      await own.kill();
      assert.deepEqual(await run(makeCall(['during'])), { k: 'during', n: 2 });
      assert.ok(c.get('cache')!.stats().l3.errors > 0);
      await own.restart();
      const deadline = Date.now() + 10_000;
      const check = new Redis(own.url);
      try {
        for (let i = 0; ; i++) {
          await run(makeCall([`after-${i}`]));
          if (await check.exists(tierKey('test#fn', 1, `after-${i}`))) break;
          assert.ok(Date.now() < deadline, 'the cache used Redis again after it came back');
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        check.disconnect();
      }
    } finally {
      await closeCacheTiers();
      await own.stop();
    }
  });
});
