import { fox } from '@fox/sdk';

/** The dfox bench's tasks: `fox worker` processes import this module by task id. */

/** ~`ms` of CPU on the worker's event loop (a CPU-bound job). */
export function burnCpu(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x = (x + Math.sqrt(x + 1)) % 1e9;
  return x;
}

export const noop = fox({ mode: 'dfox', queue: 'bench-noop' }, async function noop(n: number) {
  return n;
});

export const noopSfox = fox({ mode: 'sfox' }, async function noopSfox(n: number) {
  return n;
});

export const noopTfox = fox({ mode: 'tfox' }, async function noopTfox(n: number) {
  return n;
});

/** One worker process serves `bench-cpu1`; two serve `bench-cpu2`. */
export const burn1 = fox({ mode: 'dfox', queue: 'bench-cpu1' }, async function burn1(ms: number) {
  return burnCpu(ms) > -1;
});

export const burn2 = fox({ mode: 'dfox', queue: 'bench-cpu2' }, async function burn2(ms: number) {
  return burnCpu(ms) > -1;
});
