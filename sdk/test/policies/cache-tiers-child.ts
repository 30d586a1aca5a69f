/**
 * A program with one cached task, for the cache tier tests and bench: started as a real child
 * process, it prints `ready`, waits for a line on stdin (so that N children miss at once), calls
 * the task once, prints `{ value, stats }` as JSON and shuts down. The task appends this pid to
 * `log` each time it really runs, so the parent counts computations without trusting our stats.
 */
import { appendFileSync } from 'node:fs';
import { fox } from '../../src/index.js';
import type { CacheChildOptions } from './cache-tiers-child-runner.js';

const options = JSON.parse(process.env.FOX_CACHE_CHILD ?? '{}') as CacheChildOptions;
if (options.cacheRedis) fox.configure({ cacheRedis: options.cacheRedis });

const square = fox(
  {
    id: 'test/cache-child.ts#square',
    mode: 'sfox',
    cache: {
      ttl: options.ttl ?? 60_000,
      tiers: options.tiers as ['memory'],
      ...(options.sqlite ? { sqlite: options.sqlite } : {}),
      ...(options.redis ? { redis: options.redis } : {}),
    },
  },
  async function square(n: number) {
    if (options.log) appendFileSync(options.log, `${process.pid}\n`);
    process.stdout.write('computing\n');
    await new Promise((r) => setTimeout(r, options.delayMs ?? 0));
    return { n, square: n * n, by: process.pid };
  },
);

process.stdout.write('ready\n');
if (options.waitForGo) {
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
}
const value = await square(options.arg ?? 2);
const stats = fox.task(square)!.policies!.get('cache')!.stats();
process.stdout.write(`${JSON.stringify({ value, stats })}\n`);
await fox.shutdown();
process.stdin.destroy();
