import assert from 'node:assert/strict';
import { workerMain } from '../../src/cli/worker.js';
import { runtime } from '../../src/runtime/runtime.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import { SDK_ROOT } from './worker-process.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('fox worker (CLI)', function () {
  this.timeout(30_000);
  let savedRedis: string | undefined;
  before(async () => {
    await runtime().reset();
    savedRedis = process.env.FOX_REDIS;
    delete process.env.FOX_REDIS;
  });
  after(async () => {
    if (savedRedis !== undefined) process.env.FOX_REDIS = savedRedis;
    await runtime().reset();
  });

  it('exits 2 naming the problem on a bad command line', async () => {
    for (const argv of [
      ['--queue', 'q', '--bogus'],
      ['--queue', 'q', '--concurrency', 'many'],
      ['--queue', 'q', 'extra'],
    ]) {
      const c = capture();
      assert.equal(await workerMain(argv, c.io, new Promise(() => {})), 2, argv.join(' '));
      assert.match(c.err.join('\n'), /usage: fox worker/);
    }
  });

  it('exits 2 without a queue or a Redis, saying which', async () => {
    let c = capture();
    assert.equal(
      await workerMain(['--redis', 'redis://127.0.0.1:1'], c.io, new Promise(() => {})),
      2,
    );
    assert.match(c.err.join('\n'), /queues.*at least one queue/s);
    c = capture();
    await runtime().reset();
    assert.equal(await workerMain(['--queue', 'q'], c.io, new Promise(() => {})), 2);
    assert.match(c.err.join('\n'), /needs a Redis/);
  });

  it('serves until stopped, then reports what it ran', async function () {
    if (!redisAvailable) this.skip();
    const redis = await startRedis();
    try {
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      const c = capture();
      const exit = workerMain(
        ['--queue', 'cli', '--root', SDK_ROOT, '--redis', redis.url],
        c.io,
        stopped,
      );
      const end = Date.now() + 20_000;
      while (!c.out.some((l) => l.includes('fox worker: ready')) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(c.out[0] ?? '', /ready .*queues=cli .*lockDuration=30000ms/);
      stop();
      assert.equal(await exit, 0);
      assert.match(c.out.at(-1)!, /stopped \(ran 0, failed 0, refused 0\)/);
    } finally {
      await redis.stop();
    }
  });
});
