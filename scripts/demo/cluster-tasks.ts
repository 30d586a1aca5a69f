import { createHash } from 'node:crypto';
import { fox } from '@fox/sdk';

/**
 * The cluster demo's task: `fox worker` processes import this module by its task id
 * (`scripts/demo/cluster-tasks.ts#fingerprint`) and run it; the caller only enqueues.
 */
export const fingerprint = fox(
  { mode: 'dfox', queue: 'demo-fingerprints', timeout: '10s', retry: 2 },
  async function fingerprint(seed: string, rounds: number) {
    let h = seed;
    for (let i = 0; i < rounds; i++) h = createHash('sha256').update(h).digest('hex');
    return { seed, hash: h.slice(0, 16), worker: process.pid };
  },
);
