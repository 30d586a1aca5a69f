import { createServer, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A shared backend for the corpus's I/O tasks, run in its own process. Each request needs
 * `ms` of service; requests in flight share the backend (processor sharing) and, beyond
 * CAPACITY, thrash: the whole backend's rate falls as (CAPACITY / inFlight)^0.5, as a database
 * or disk does under overload. Shared by every thread, so tfox gains no capacity from workers.
 *
 * Event-driven: the service left of every job advances at each arrival and completion, and a
 * timer is set for the next completion. (A fixed 1 ms tick made every request last a whole
 * number of ticks; on a loaded machine the ticks stretched to several ms, and that quantisation,
 * not the modelled capacity, decided which client strategy looked fastest.)
 */
const CAPACITY = Number(process.argv[2] ?? 16);
interface Job {
  left: number;
  res: ServerResponse;
  ms: number;
}
const active = new Set<Job>();
let last = performance.now();
let timer: ReturnType<typeof setTimeout> | undefined;

/** Service each job gets per ms of wall time with `n` in flight. */
function rate(n: number): number {
  return n <= CAPACITY ? 1 : (CAPACITY / n) * Math.sqrt(CAPACITY / n);
}

/** Advances every job to now, answers the finished ones and schedules the next completion. */
function step(): void {
  const now = performance.now();
  const served = (now - last) * rate(active.size);
  last = now;
  let nextLeft = Infinity;
  for (const j of active) {
    j.left -= served;
    // Within 10 µs of done counts as done: timers do not fire more precisely than that.
    if (j.left <= 0.01) {
      active.delete(j);
      j.res.end(String(j.ms));
    } else if (j.left < nextLeft) nextLeft = j.left;
  }
  if (timer) clearTimeout(timer);
  timer = undefined;
  if (active.size > 0) timer = setTimeout(step, nextLeft / rate(active.size));
}

const server = createServer((req, res) => {
  const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 1);
  step(); // the jobs in flight so far were served at the old rate
  active.add({ left: ms, res, ms });
  step();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
