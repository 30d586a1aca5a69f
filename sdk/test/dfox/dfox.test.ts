import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { fox, FoxConfigError } from '@fox/sdk';
import {
  FoxNotJsonError,
  FoxPayloadTooLargeError,
  lockSettingsFor,
  worstCaseRecoveryMs,
} from '../../src/modes/dfox/index.js';
import { runtime } from '../../src/runtime/runtime.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { until } from '../support/until.js';
import * as tasks from './fixtures/tasks.js';
import { SDK_ROOT, startWorkerProcess, type WorkerProcess } from './worker-process.js';

describe('dfox: calls as BullMQ jobs run by fox worker processes', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let worker: WorkerProcess;
  let dir: string;

  before(async function () {
    if (!redisAvailable) this.skip();
    redis = await startRedis();
    fox.configure({ redis: redis.url });
    dir = mkdtempSync(join(tmpdir(), 'fox-dfox-'));
    worker = await startWorkerProcess([
      '--queue',
      'fixtures',
      '--concurrency',
      '4',
      '--root',
      SDK_ROOT,
      '--redis',
      redis.url,
    ]);
  });

  after(async () => {
    await worker?.kill();
    await runtime().reset();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the call in the worker process and settles with its result', async () => {
    assert.equal(await tasks.add(2, 3), 5);
    const r = await tasks.echo({ a: [1, 'x', null] });
    assert.deepEqual(r.x, { a: [1, 'x', null] });
    assert.equal(r.pid, worker.pid);
    assert.equal(fox.task(tasks.add)!.info().current, 'dfox');
  });

  it("runs a task marked CPU-heavy on the worker machine's tfox pool", async () => {
    const r = await tasks.onPool(7);
    assert.deepEqual(r, { n: 7, mainThread: false, pid: worker.pid });
    // The others run on the worker's event loop.
    assert.equal((await tasks.echo(1)).pid, worker.pid);
  });

  it('keeps undefined arguments and results undefined', async () => {
    const r = await tasks.echo(1, undefined);
    assert.equal(r.yIsUndefined, true);
    assert.equal(await tasks.nothing(), undefined);
  });

  it('refuses an argument that does not survive JSON at the call, naming it', async () => {
    await assert.rejects(
      tasks.echo({ ok: 1, when: new Date(0) }),
      (err: FoxNotJsonError) =>
        err instanceof FoxNotJsonError &&
        err.code === 'FOX_NOT_JSON' &&
        err.argIndex === 0 &&
        err.path === '[0].when' &&
        /Date/.test(err.message),
    );
    await assert.rejects(tasks.echo([1, () => 2]), { code: 'FOX_NOT_JSON', path: '[0][1]' });
    await assert.rejects(tasks.add(1, Number.NaN), { code: 'FOX_NOT_JSON', argIndex: 1 });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await assert.rejects(tasks.echo(cyclic), { code: 'FOX_NOT_JSON', path: '[0].self' });
  });

  it('refuses a payload over the limit before enqueueing it', async () => {
    fox.configure({ dfox: { maxPayloadBytes: 4096 } });
    try {
      await assert.rejects(
        tasks.echo('x'.repeat(10_000)),
        (err: FoxPayloadTooLargeError) =>
          err instanceof FoxPayloadTooLargeError && err.bytes > 10_000 && err.limit === 4096,
      );
      assert.equal((await tasks.echo('small')).x, 'small');
    } finally {
      fox.configure({ dfox: { maxPayloadBytes: 512 * 1024 } });
    }
  });

  it("re-creates the worker's error at the caller: class, message, code, fields", async () => {
    await assert.rejects(
      tasks.fail('boom'),
      (err: RangeError & { code: string; detail: number }) =>
        err instanceof RangeError &&
        err.message === 'boom' &&
        err.code === 'E_FIXTURE' &&
        err.detail === 42,
    );
  });

  it('fails with FOX_NOT_JSON when the result does not survive JSON', async () => {
    await assert.rejects(tasks.badResult(), (err: FoxNotJsonError) => {
      return err.code === 'FOX_NOT_JSON' && err.direction === 'result' && /Map/.test(err.message);
    });
  });

  it("carries the trace: the worker's calls are children of the caller's call", async () => {
    const outer = fox({ mode: 'sfox' }, async function outer() {
      const runId = fox.context()!.runId;
      return { runId, remote: await tasks.traced() };
    });
    const { runId, remote } = await outer();
    assert.equal(remote.me.pid, worker.pid);
    assert.notEqual(remote.me.pid, process.pid);
    // The dfox call's parent is the caller's outer call; the worker's inner call's parent is
    // the dfox call: one tree across two processes.
    assert.equal(remote.me.parent, runId);
    assert.ok(remote.me.runId);
    assert.equal(remote.child.parent, remote.me.runId);
    assert.equal(remote.child.pid, worker.pid);
  });

  it('an abort removes a job that has not started', async () => {
    const queue = new Queue('nobody', { connection: { port: redis.port }, prefix: 'fox' });
    try {
      const ac = new AbortController();
      const call = tasks.orphan(ac.signal);
      let waiting = 0;
      const poll = setInterval(() => void queue.getWaitingCount().then((n) => (waiting = n)), 20);
      try {
        await until(() => waiting === 1, 5000, 'the job to be waiting');
        ac.abort(new Error('caller gave up'));
        await assert.rejects(call, /caller gave up/);
        await until(() => waiting === 0, 5000, 'the job to be removed');
      } finally {
        clearInterval(poll);
      }
    } finally {
      await queue.close();
    }
  });

  it('an abort signals a running job in the worker; the caller settles at once', async () => {
    const marker = join(dir, 'aborted.txt');
    const ac = new AbortController();
    const queue = new Queue('fixtures', { connection: { port: redis.port }, prefix: 'fox' });
    try {
      const call = tasks.sleep(20_000, marker, ac.signal);
      let active = 0;
      const poll = setInterval(() => void queue.getActiveCount().then((n) => (active = n)), 20);
      try {
        await until(() => active === 1, 5000, 'the job to run');
      } finally {
        clearInterval(poll);
      }
      const t0 = Date.now();
      ac.abort(new Error('stop now'));
      await assert.rejects(call, /stop now/);
      assert.ok(Date.now() - t0 < 1000);
      await until(() => exists(marker), 5000, "the worker's function to see the abort");
      assert.match(readFileSync(marker, 'utf8'), new RegExp(`aborted in ${worker.pid}`));
    } finally {
      await queue.close();
    }
  });

  it("a caller's timeout settles the call with FOX_TIMEOUT and aborts the job in the worker", async () => {
    const marker = join(dir, 'timed-out.txt');
    const t0 = Date.now();
    await assert.rejects(tasks.tooSlow(marker), { code: 'FOX_TIMEOUT' });
    assert.ok(Date.now() - t0 < 2000);
    await until(() => exists(marker), 5000, "the worker's function to see the abort");
    assert.match(readFileSync(marker, 'utf8'), new RegExp(`aborted in ${worker.pid}`));
  });

  it("a worker started later derives its lock settings from the callers' task timeouts", async () => {
    // tooSlow (timeout 300 ms) has been called on this queue: a new worker reads it.
    await assert.rejects(tasks.tooSlow(join(dir, 'again.txt')), { code: 'FOX_TIMEOUT' });
    const late = await fox.worker({ queues: ['fixtures'], root: SDK_ROOT });
    try {
      assert.deepEqual(late.locks, lockSettingsFor(300));
      assert.ok(worstCaseRecoveryMs(late.locks) < 30_000);
    } finally {
      await late.close();
    }
    const explicit = await fox.worker({ queues: ['fixtures'], root: SDK_ROOT, jobTimeout: 8000 });
    await explicit.close();
    assert.deepEqual(explicit.locks, lockSettingsFor(8000));
  });

  it('fox.stats() has per-queue gauges: waiting, active, delayed, failed', async () => {
    const ac = new AbortController();
    const call = tasks.orphan(ac.signal).catch(() => 'aborted');
    const nobody = () => fox.stats().queues?.find((q) => q.queue === 'nobody');
    await until(() => nobody()?.waiting === 1, 5000, 'the waiting job in the gauges');
    assert.equal(nobody()!.connected, true);
    assert.equal(nobody()!.active, 0);
    const fixtures = fox.stats().queues?.find((q) => q.queue === 'fixtures');
    assert.ok(fixtures && fixtures.failed >= 1, 'failed jobs of earlier tests are counted');
    ac.abort();
    assert.equal(await call, 'aborted');
    await until(() => nobody()?.waiting === 0, 5000, 'the gauges to see the job removed');
  });

  it('a stable job id makes enqueueing the same work twice one job, run once', async () => {
    const first = await tasks.once('k1');
    const again = await tasks.once('k1');
    assert.deepEqual(again, first);
    const other = await tasks.once('k2');
    assert.equal(other.run, first.run + 1);
    await assert.rejects(tasks.badId(), { code: 'FOX_CONFIG', path: ['queue', 'jobId'] });
  });

  it('runs queue-side retries when the task asks for them (BullMQ attempts)', async () => {
    assert.equal(await tasks.flaky('k1'), 2);
  });
});

describe('dfox: options are checked at decoration', () => {
  after(() => runtime().reset());

  it('needs a queue, and a queue only applies to dfox', () => {
    assert.throws(
      () => fox({ mode: 'dfox' }, async function noQueue() {}),
      (err: FoxConfigError) => err instanceof FoxConfigError && err.path.join('.') === 'queue',
    );
    assert.throws(() => fox({ mode: 'sfox', queue: 'q' }, async function wrongMode() {}), {
      code: 'FOX_CONFIG',
      path: ['queue'],
    });
    assert.throws(() => fox({ mode: 'dfox', queue: 'a:b' }, async function colon() {}), {
      code: 'FOX_CONFIG',
    });
  });

  it('refuses caller-side and queue-side retries together', () => {
    assert.throws(
      () =>
        fox(
          { mode: 'dfox', queue: { name: 'q', attempts: 3 }, retry: 2 },
          async function both() {},
        ),
      (err: FoxConfigError) => err.path.join('.') === 'queue.attempts',
    );
    // Either alone is fine.
    fox({ mode: 'dfox', queue: { name: 'q', attempts: 3 } }, async function queueSide() {});
    fox({ mode: 'dfox', queue: 'q', retry: 2 }, async function callerSide() {});
  });

  it('refuses a custom id, which a worker could not resolve to a module', () => {
    assert.throws(() => fox({ mode: 'dfox', queue: 'q', id: 'orders#place' }, async () => 1), {
      code: 'FOX_CONFIG',
      path: ['id'],
    });
  });
});

function exists(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
