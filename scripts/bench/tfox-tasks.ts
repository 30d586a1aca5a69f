import { fox } from '@fox/sdk';

/** Deterministic CPU work: ~`units` × a fixed loop (no clock reads, so it is pure compute). */
export function burn(units: number): number {
  let x = 0;
  for (let u = 0; u < units; u++) {
    for (let i = 0; i < 200_000; i++) x = (x * 31 + i) | 0;
  }
  return x;
}

export const noop = fox({ mode: 'tfox', id: 'bench#noop' }, async function noop(n: number) {
  return n;
});

export const cpu = fox({ mode: 'tfox', id: 'bench#cpu' }, async function cpu(units: number) {
  return burn(units);
});

/** Source of the same function for raw workers and piscina (they import a plain file). */
export const PLAIN_MODULE = `
export function burn(units) {
  let x = 0;
  for (let u = 0; u < units; u++) {
    for (let i = 0; i < 200000; i++) x = (x * 31 + i) | 0;
  }
  return x;
}
export default function task(msg) { return msg.cpu ? burn(msg.cpu) : msg.n; }
`;
