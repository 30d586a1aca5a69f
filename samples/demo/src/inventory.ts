import { fox } from '@fox/sdk';

/**
 * A pretend database whose latency grows with the number of concurrent queries (a queueing
 * model: 8 "connections" at 4 ms each), so an adaptive limiter has something to adapt to.
 */
class SimulatedDatabase {
  private active = 0;
  async query(sku: string): Promise<number> {
    this.active++;
    const ms = 4 * Math.max(1, this.active / 8);
    await new Promise((r) => setTimeout(r, ms));
    this.active--;
    return sku.length * 7;
  }
}

export class Inventory {
  private readonly db = new SimulatedDatabase();

  /** Database calls go through an adaptive concurrency limiter: wfox. */
  @fox({ mode: 'wfox', limiter: { algorithm: 'gradient', initial: 8, max: 64 } })
  async stockOf(sku: string): Promise<number> {
    return this.db.query(sku);
  }
}
