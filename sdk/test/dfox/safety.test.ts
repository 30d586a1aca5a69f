import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { fox } from '@fox/sdk';
import {
  FoxRemoteRefusedError,
  FoxUnavailableError,
  moduleHash,
  type RefusalReason,
} from '../../src/modes/dfox/index.js';
import { decodeFailure } from '../../src/modes/dfox/failure-codec.js';
import { DFOX_JOB_VERSION, type DfoxJobData } from '../../src/protocol/dfox-job.js';
import type { FoxWorker } from '../../src/runtime/dfox/fox-worker.js';
import { runtime } from '../../src/runtime/runtime.js';
import {
  freeLoopbackPort,
  redisAvailable,
  startRedis,
  type RedisServer,
} from '../support/redis-server.js';
import * as tasks from './fixtures/tasks.js';
import { SDK_ROOT } from './worker-process.js';

const TASKS_FILE = fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url));
const PLAIN_FILE = fileURLToPath(new URL('./fixtures/plain.ts', import.meta.url));

describe('dfox: workers refuse jobs they must not run', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let root: string;
  let stale: FoxWorker;
  let real: FoxWorker;
  let queue: Queue;
  let events: QueueEvents;
  const marker = () => join(root, 'imported.txt');

  before(async function () {
    if (!redisAvailable) this.skip();
    redis = await startRedis();
    fox.configure({ redis: redis.url });
    // Another deployment of the same project whose tasks.ts is a different version: importing
    // it would leave a marker, so a test can tell that nothing of it ran.
    root = mkdtempSync(join(tmpdir(), 'fox-dfox-root-'));
    const copy = join(root, 'test/dfox/fixtures/tasks.ts');
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(
      copy,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker())}, 'imported');\n` +
        readFileSync(TASKS_FILE, 'utf8'),
    );
    stale = await fox.worker({ queues: ['fixtures'], root, redis: redis.url });
    real = await fox.worker({ queues: ['safety'], root: SDK_ROOT, redis: redis.url });
    queue = new Queue('safety', { connection: { port: redis.port }, prefix: 'fox' });
    events = new QueueEvents('safety', { connection: { port: redis.port }, prefix: 'fox' });
    await events.waitUntilReady();
  });

  after(async () => {
    await Promise.allSettled([stale?.close(), real?.close(), queue?.close(), events?.close()]);
    await runtime().reset();
    await redis?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Adds a raw job and returns the error its failure stands for, and the job's failed reason. */
  async function refusal(data: Partial<DfoxJobData>): Promise<{ err: unknown; reason: string }> {
    const job = await queue.add('raw', {
      v: DFOX_JOB_VERSION,
      hash: 'a'.repeat(64),
      args: [],
      trace: { runId: 'r1' },
      ...data,
    });
    const reason = await job.waitUntilFinished(events).then(
      () => assert.fail('the job ran'),
      (e: Error) => e.message,
    );
    return { err: decodeFailure(reason), reason };
  }

  function assertRefused(err: unknown, reason: RefusalReason): void {
    assert.ok(err instanceof FoxRemoteRefusedError, `expected a refusal, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.code, 'FOX_REMOTE_REFUSED');
  }

  it('refuses code whose hash differs from the caller’s, before importing it', async () => {
    await assert.rejects(tasks.add(1, 2), (err: FoxRemoteRefusedError) => {
      assertRefused(err, 'hash-mismatch');
      return /another version of test\/dfox\/fixtures\/tasks\.ts/.test(err.message);
    });
    assert.equal(existsSync(marker()), false, 'the stale module was imported');
    assert.equal(stale.counters.ran, 0);
    assert.equal(stale.counters.refused, 1);
  });

  it('refuses task ids that leave the root: .., absolute paths, symlinks out', async () => {
    assertRefused((await refusal({ taskId: '../../../etc/hosts.ts#x' })).err, 'outside-root');
    assertRefused((await refusal({ taskId: '/etc/hosts.ts#x' })).err, 'outside-root');
    const link = join(SDK_ROOT, 'test/dfox/fixtures/link-out.ts');
    const outside = join(root, 'outside.ts');
    writeFileSync(outside, 'export const x = 1;\n');
    symlinkSync(outside, link);
    try {
      assertRefused(
        (await refusal({ taskId: 'test/dfox/fixtures/link-out.ts#x' })).err,
        'outside-root',
      );
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('reaches only fox functions, not any export of a module', async () => {
    const { err, reason } = await refusal({
      taskId: 'test/dfox/fixtures/plain.ts#notFox',
      hash: moduleHash(PLAIN_FILE),
    });
    assertRefused(err, 'not-found');
    assert.match(reason, /does not export a fox function/);
  });

  it('refuses malformed job data and fails the job with the reason', async () => {
    const job = await queue.add('raw', { hello: 'world' });
    const reason = await job.waitUntilFinished(events).then(
      () => assert.fail('ran'),
      (e: Error) => e.message,
    );
    assertRefused(decodeFailure(reason), 'malformed');
    assert.equal((await queue.getJob(job.id!))!.failedReason, reason);
  });

  it('runs a well-formed job of the same code version', async () => {
    const job = await queue.add('raw', {
      v: DFOX_JOB_VERSION,
      taskId: 'test/dfox/fixtures/tasks.ts#add',
      hash: moduleHash(TASKS_FILE),
      args: [20, 22],
      trace: { runId: 'r2' },
    });
    assert.deepEqual(await job.waitUntilFinished(events), { v: 42 });
    assert.ok(real.counters.ran >= 1);
  });
});

describe('dfox: Redis unreachable', function () {
  this.timeout(30_000);
  after(() => runtime().reset());

  it('fails calls with FOX_UNAVAILABLE within the configured wait, and nothing crashes', async () => {
    await runtime().reset();
    const port = await freeLoopbackPort();
    fox.configure({ redis: `redis://127.0.0.1:${port}`, dfox: { unavailableAfterMs: 300 } });
    const t0 = Date.now();
    const results = await Promise.allSettled([tasks.add(1, 2), tasks.add(3, 4)]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof FoxUnavailableError, String(r.reason));
      assert.equal(r.reason.queue, 'fixtures');
    }
    assert.ok(Date.now() - t0 < 5000);
    // Still unavailable, still typed, on a later call.
    await assert.rejects(tasks.add(5, 6), { code: 'FOX_UNAVAILABLE' });
  });
});
