import { fox } from '@fox/sdk';

/**
 * The demo's pretend downstream systems. Latencies are simulated with timers so the demo needs
 * no network, but the shapes are realistic: a database whose latency grows with concurrency,
 * and a partner API that fails now and then and sometimes stalls.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class PartnerApiError extends Error {
  readonly code = 'PARTNER_UNAVAILABLE';
}

/** Deterministic pseudo-random source, so two demo runs look alike. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = seeded(42);

export class PartnerApi {
  /** Share of calls that fail. */
  failureRate = 0.15;

  /**
   * A flaky dependency: usually 5–25 ms, sometimes a 200 ms stall, sometimes an error. Stalls
   * are cut by the timeout; failures and timeouts are retried with exponential backoff.
   */
  @fox({
    mode: 'wfox',
    limiter: { algorithm: 'aimd', initial: 16, max: 64 },
    timeout: 100,
    retry: { attempts: 3, backoff: 'exponential' },
  })
  async quote(sku: string): Promise<number> {
    const r = random();
    await sleep(r < 0.05 ? 200 : 5 + r * 20);
    if (random() < this.failureRate) throw new PartnerApiError(`partner API failed for ${sku}`);
    return 100 + (sku.length % 7);
  }
}

/** CPU-heavy work on the caller's event loop: sfox here on purpose (a tfox candidate). */
export const hashReport = fox({ mode: 'sfox' }, async function hashReport(rounds: number) {
  let h = 2166136261;
  for (let i = 0; i < rounds * 10_000; i++) h = Math.imul(h ^ (i & 0xff), 16777619);
  return h >>> 0;
});
