import { createHash } from 'node:crypto';
import { fox } from '@fox/sdk';

/**
 * Signs a quote with `rounds` chained SHA-256 hashes on the caller's thread (the feed picks
 * `rounds` for 20–40 ms per call). A plain function, no fox task: only the CPU profile of a
 * profiled run can say how long it holds the event loop.
 */
export function signQuote(body: string, rounds: number): string {
  let digest = createHash('sha256').update(body).digest();
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

/** Asks the pricing service for a quote: a fox task whose HTTP call has no timeout. */
export const fetchQuote = fox({ mode: 'wfox' }, async function fetchQuote(url: string) {
  const res = await fetch(url);
  return res.text();
});
