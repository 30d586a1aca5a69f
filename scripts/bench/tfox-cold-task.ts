import { fox } from '@fox/sdk';

/**
 * The task of the cold-start benchmark (tfox-cold.ts), in a module of its own: workers import a
 * task's module, and one that is the entry script is never imported ahead of a call.
 */

/** Holds the thread for `ms` (45 ms: the CPU-heavy call of the issue). */
export function busy(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x * 31 + 1) | 0;
  return x;
}

export const heavy = fox({ mode: 'tfox', id: 'bench#cold' }, async function heavy(ms: number) {
  return busy(ms);
});
