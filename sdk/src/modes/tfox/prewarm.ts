import type { WorkerFunction } from './pool-job.js';
import type { ThreadPool } from './pool.js';

/**
 * How long after a registration the pool is warmed. Short next to a worker's start and import
 * (hundreds of ms through tsx), so the first calls still find workers ready; long enough that
 * the registering code and the rest of a synchronous start-up run first, that registrations
 * made together are warmed together, and that a program which ends right away never starts a
 * worker: the timer is unref'd, so it fires only while the program is alive anyway (an
 * unref'd `setImmediate` still runs in the last turn of an ES module's event loop).
 */
export const PREWARM_DELAY_MS = 20;

/**
 * Gets the tfox pool ready for the tasks registered so far: shortly after a registration (see
 * {@link PREWARM_DELAY_MS}) the pool starts its prewarm workers and has them import the tasks'
 * modules. Nothing here keeps the program alive.
 */
export class PoolPrewarm {
  private readonly fns: WorkerFunction[] = [];
  private pending: ReturnType<typeof setTimeout> | undefined;

  /** `pool()`: the pool to warm, or undefined when there is none to warm now. */
  constructor(private readonly pool: () => ThreadPool | undefined) {}

  /** A tfox task was registered: its module is imported in the workers ahead of its calls. */
  add(fn: WorkerFunction): void {
    this.fns.push(fn);
    this.schedule();
  }

  /** Warms the pool for every function added so far (again, for a new pool). */
  schedule(): void {
    if (this.pending || this.fns.length === 0) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.pool()?.prewarm(this.fns);
    }, PREWARM_DELAY_MS);
    this.pending.unref();
  }

  /** Drops a scheduled warm-up (shutdown). */
  cancel(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
  }

  /** Forgets the functions too (a runtime reset). */
  clear(): void {
    this.cancel();
    this.fns.length = 0;
  }
}
