import { Worker } from 'bullmq';
import { burnCpu } from './dfox-tasks.js';

/**
 * Raw BullMQ's side of the dfox bench: plain Workers with an inline processor, the peer of a
 * `fox worker` process. argv: redis port, concurrency of the no-op queue, then queue names.
 */
const [port, concurrency, ...queues] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
const workers = queues.map(
  (name) =>
    new Worker(
      name,
      async (job) => (job.name === 'cpu' ? burnCpu(job.data.ms as number) > -1 : job.data.n),
      { connection, concurrency: name === 'raw-noop' ? Number(concurrency) : 1 },
    ),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
console.log('raw worker: ready');
process.on('SIGTERM', () => {
  void Promise.all(workers.map((w) => w.close())).then(() => process.exit(0));
});
