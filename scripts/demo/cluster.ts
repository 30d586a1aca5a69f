import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fox } from '@fox/sdk';
import { redisAvailable, startRedis } from '../../sdk/test/support/redis-server.js';
import { fingerprint } from './cluster-tasks.js';

/**
 * `npm run demo:cluster`: a local Redis, two `fox worker` processes and this caller sending
 * dfox calls; prints which worker ran what and the queue's gauges. Under the profiler
 * (`npx fox profile -- npm run demo:cluster`) the caller and both workers show up, since the
 * workers inherit FOX_PROFILER.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CALLS = Number(process.env.DEMO_CALLS ?? 200);

if (!redisAvailable) {
  console.error('demo:cluster needs redis-server (sh scripts/install-redis.sh)');
  process.exit(2);
}
const redis = await startRedis();
const workers: ChildProcess[] = [];
try {
  for (let i = 0; i < 2; i++) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        join(root, 'sdk/bin/fox.js'),
        'worker',
        '--queue',
        'demo-fingerprints',
        '--concurrency',
        '2',
        '--root',
        root,
        '--redis',
        redis.url,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    workers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        process.stdout.write(`[worker ${child.pid}] ${d.toString()}`);
        if (d.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }
  fox.configure({ redis: redis.url });
  const byWorker = new Map<number, number>();
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: CALLS }, (_, i) => fingerprint(`seed-${i}`, 2000)),
  );
  for (const r of results) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
  const ms = performance.now() - t0;
  console.log(
    `\n${CALLS} dfox calls in ${ms.toFixed(0)} ms (${((CALLS / ms) * 1000).toFixed(0)}/s)`,
  );
  for (const [pid, n] of byWorker) console.log(`  worker ${pid} ran ${n}`);
  console.log('queue gauges:', fox.stats().queues);
  const task = fox.stats().tasks.find((t) => t.id.endsWith('#fingerprint'))!;
  console.log(`task ${task.id}: ${task.calls} calls, p50 ${task.latency.p50.toFixed(1)} ms`);
} finally {
  for (const w of workers) w.kill('SIGTERM');
  await fox.shutdown();
  await redis.stop();
}
