import { fox } from '@fox/sdk';

/**
 * CPU-heavy work. Both tasks are top-level exports of a module with no side effects, so the
 * worker threads of tfox can import them.
 */

function fnv(iterations: number, salt: number): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < iterations; i++) h = Math.imul(h ^ (i & 0xff), 16777619);
  return h >>> 0;
}

/** A report hash: milliseconds of pure CPU per call, so it runs on worker threads (tfox). */
export const hashReport = fox({ mode: 'tfox' }, async function hashReport(rounds: number) {
  return fnv(rounds * 10_000, rounds);
});

/**
 * A demand forecast under `auto`: it starts on the caller's event loop (sfox), auto measures
 * each call holding the loop for several ms and proposes moving it to tfox; the guardian holds
 * that proposal for the demo's approver.
 */
export const forecastDemand = fox({ mode: 'auto' }, async function forecastDemand(sku: string) {
  return fnv(4_000_000, sku.length);
});
