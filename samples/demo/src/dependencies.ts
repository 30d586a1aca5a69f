import { fox } from '@fox/sdk';
import { settings } from './settings.js';

/**
 * The demo's pretend partner API. Latencies are simulated with timers so the demo needs no
 * network, but the shape is realistic: it degrades on a schedule (healthy → degraded → outage →
 * healthy, one cycle every 40 s at FOX_DEMO_SPEED=1), so the policies around it visibly act.
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

export type PartnerPhase = 'healthy' | 'degraded' | 'outage';

/** Share of failing and stalling calls in each phase. */
const PHASES: Record<PartnerPhase, { failureRate: number; stallRate: number }> = {
  healthy: { failureRate: 0.03, stallRate: 0.03 },
  degraded: { failureRate: 0.35, stallRate: 0.25 },
  outage: { failureRate: 1, stallRate: 0 },
};

/** Where in its cycle the partner is: 0–40% healthy, 40–65% degraded, 65–80% outage, then healthy. */
export function partnerPhaseAt(elapsedMs: number, cycleMs: number): PartnerPhase {
  const f = (elapsedMs % cycleMs) / cycleMs;
  return f < 0.4 ? 'healthy' : f < 0.65 ? 'degraded' : f < 0.8 ? 'outage' : 'healthy';
}

const started = performance.now();
// Open for longer than one telemetry interval (1 s), so the table shows it at any speed.
const halfOpenAfter = Math.max(1_100, Math.round(5_000 / settings.speed));

export class PartnerApi {
  /** The phase now, on the demo's schedule. */
  phase(): PartnerPhase {
    return partnerPhaseAt(performance.now() - started, settings.partnerCycleMs);
  }

  /**
   * A flaky dependency: usually 5–25 ms, sometimes a 200 ms stall, sometimes an error. A slow
   * attempt is hedged, stalls are cut by the timeout, failures are retried with backoff; when
   * most calls fail the breaker opens, and callers get the last list price instead (fallback).
   */
  @fox({
    mode: 'wfox',
    limiter: { algorithm: 'aimd', initial: 16, max: 64 },
    timeout: 100,
    retry: { attempts: 3, backoff: 'exponential', delay: 5 },
    breaker: { failureRate: 0.5, window: 2_000, minCalls: 10, halfOpenAfter },
    hedge: { after: 40 },
    fallback: { value: 99 },
    // The tuner may move the timeout and the hedge delay within these bounds; retries and the
    // breaker stay as written.
    tune: {
      timeout: { min: 60, max: 500 },
      hedge: { min: 10, max: 50 },
      retry: false,
      breaker: false,
    },
  })
  async quote(sku: string): Promise<number> {
    const { failureRate, stallRate } = PHASES[this.phase()];
    await sleep(random() < stallRate ? 200 : 5 + random() * 20);
    if (random() < failureRate) throw new PartnerApiError(`partner API failed for ${sku}`);
    return 100 + (sku.length % 7);
  }
}
