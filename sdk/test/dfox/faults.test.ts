import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueueEvents } from 'bullmq';
import { fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import * as tasks from './fixtures/tasks.js';
import { SDK_ROOT, startWorkerProcess, type WorkerProcess } from './worker-process.js';

/** `--job-timeout 4000`: lock duration 1 s and a stalled check every 1 s (lock-settings.ts). */
function workerArgs(redis: RedisServer): string[] {
  const args = ['--queue', 'kill', '--concurrency', '4', '--root', SDK_ROOT];
  return [...args, '--redis', redis.url, '--job-timeout', '4000'];
}

/** Settles `calls` and counts, per call, how often each of its reactions ran. */
function track<T>(calls: Promise<T>[]) {
  const settlements = calls.map(() => 0);
  const outcomes: PromiseSettledResult<T>[] = [];
  const all = Promise.all(
    calls.map((p, i) =>
      p.then(
        (value) => {
          settlements[i]!++;
          outcomes[i] = { status: 'fulfilled', value };
        },
        (reason: unknown) => {
          settlements[i]!++;
          outcomes[i] = { status: 'rejected', reason };
        },
      ),
    ),
  );
  return { settlements, outcomes, all };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('dfox faults: a worker killed mid-job', function () {
  this.timeout(90_000);
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  let events: QueueEvents;
  let completed = 0;
  let failed = 0;

  before(async function () {
    if (!redisAvailable) this.skip();
    redis = await startRedis();
    fox.configure({ redis: redis.url });
    events = new QueueEvents('kill', { connection: { port: redis.port }, prefix: 'fox' });
    events.on('completed', () => completed++);
    events.on('failed', () => failed++);
    await events.waitUntilReady();
    workers.push(...(await Promise.all([0, 1].map(() => startWorkerProcess(workerArgs(redis))))));
  });

  after(async () => {
    await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
    await events?.close();
    await runtime().reset();
    await redis?.stop();
  });

  it('kill -9 at a random point: every caller gets exactly one result, none is lost', async () => {
    let nextId = 0;
    let recovered = 0;
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 250 }),
        fc.integer({ min: 4, max: 8 }),
        async (killAfterMs, n) => {
          const victim = round++ % 2;
          completed = 0;
          failed = 0;
          const ids = Array.from({ length: n }, () => nextId++);
          const t0 = Date.now();
          const run = track(ids.map((id) => tasks.work(id, 400)));
          await new Promise((r) => setTimeout(r, killAfterMs));
          const dead = workers[victim]!;
          await dead.kill('SIGKILL');
          await within(run.all, 20_000, 'calls after kill -9');
          if (Date.now() - t0 >= 1000) recovered++;
          assert.deepEqual(
            run.settlements,
            ids.map(() => 1),
          );
          for (const [i, o] of run.outcomes.entries()) {
            assert.equal(o.status, 'fulfilled', String((o as PromiseRejectedResult).reason));
            assert.equal((o as PromiseFulfilledResult<{ id: number }>).value.id, ids[i]);
          }
          // BullMQ completed each job once; none failed (a stalled job is moved back, not failed).
          await new Promise((r) => setTimeout(r, 100));
          assert.equal(completed, n);
          assert.equal(failed, 0);
          workers[victim] = await startWorkerProcess(workerArgs(redis));
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
    // At least one kill hit running jobs, which were recovered on the other worker.
    assert.ok(recovered > 0, 'no kill landed on a running job');
  });
});

describe('dfox faults: Redis restarts under load', function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let worker: WorkerProcess;

  before(async function () {
    if (!redisAvailable) this.skip();
    await runtime().reset();
    redis = await startRedis({ appendonly: true });
    fox.configure({ redis: redis.url, dfox: { unavailableAfterMs: 500 } });
    worker = await startWorkerProcess(workerArgs(redis));
  });

  after(async () => {
    await worker?.kill('SIGKILL');
    await runtime().reset();
    await redis?.stop();
  });

  it('0 crashes, accepted calls complete once Redis is back, the rest fail FOX_UNAVAILABLE', async () => {
    const calls: Promise<{ id: number; pid: number }>[] = [];
    const issuedAt: number[] = [];
    let restartedAt = 0;
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 3000; i++) {
      if (restartedAt === 0 && Date.now() - t0 > 1000) {
        void redis.restart();
        restartedAt = Date.now();
      }
      issuedAt.push(Date.now());
      calls.push(tasks.work(i, 20));
      await new Promise((r) => setTimeout(r, 20));
    }
    const run = track(calls);
    await within(run.all, 30_000, 'calls across a Redis restart');
    let ok = 0;
    let okAfter = 0;
    let unavailable = 0;
    for (const [i, o] of run.outcomes.entries()) {
      if (o.status === 'fulfilled') {
        assert.equal(o.value.id, i);
        ok++;
        if (issuedAt[i]! > restartedAt + 1000) okAfter++;
      } else {
        assert.equal((o.reason as { code?: string }).code, 'FOX_UNAVAILABLE', String(o.reason));
        unavailable++;
      }
    }
    assert.deepEqual(
      run.settlements,
      calls.map(() => 1),
    );
    assert.ok(ok > 0 && okAfter > 0, `ok ${ok}, ok after the restart ${okAfter}`);
    assert.equal(worker.child.exitCode, null, 'the worker process died');
    assert.equal(await tasks.work(-1, 1).then((r) => r.id), -1);
    console.log(
      `      ${calls.length} calls: ${ok} ok (${okAfter} after restart), ${unavailable} FOX_UNAVAILABLE`,
    );
  });
});
