import { createServer, type ServerResponse } from 'node:http';

/**
 * A shared backend for the corpus's I/O tasks, run in its own process. Each request needs
 * `ms` of service; requests in flight share the backend (processor sharing) and, beyond
 * CAPACITY, thrash: the whole backend's rate falls as (CAPACITY / inFlight)^0.5, as a database
 * or disk does under overload. Shared by every thread, so tfox gains no capacity from workers.
 */
const CAPACITY = Number(process.argv[2] ?? 16);
const TICK_MS = 1;
interface Job {
  left: number;
  res: ServerResponse;
  ms: number;
}
const active = new Set<Job>();
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const dt = now - last;
  last = now;
  const n = active.size;
  if (n === 0) return;
  // Each job's share of the backend's (possibly degraded) capacity.
  const rate = n <= CAPACITY ? 1 : (CAPACITY / n) * Math.sqrt(CAPACITY / n);
  for (const j of active) {
    j.left -= dt * rate;
    if (j.left <= 0) {
      active.delete(j);
      j.res.end(String(j.ms));
    }
  }
}, TICK_MS);
const server = createServer((req, res) => {
  const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 1);
  active.add({ left: ms, res, ms });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
