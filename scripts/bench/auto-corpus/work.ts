import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** Building blocks of the corpus tasks: deterministic compute of a given size, and I/O. */

const url = (): string => process.env.FOX_CORPUS_URL ?? 'http://127.0.0.1:1';

/** One request to the shared contended backend (see server.ts). */
export async function backend(ms: number): Promise<number> {
  const res = await fetch(`${url()}/r?ms=${ms}`);
  return Number(await res.text());
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const bufs = new Map<number, Buffer>();
function bytes(kb: number): Buffer {
  let b = bufs.get(kb);
  if (!b) {
    b = Buffer.alloc(kb * 1024);
    const r = rng(kb);
    for (let i = 0; i < b.length; i++) b[i] = (r() * 256) | 0;
    bufs.set(kb, b);
  }
  return b;
}

export function sha(kb: number, rounds: number): string {
  let d = '';
  for (let i = 0; i < rounds; i++)
    d = createHash('sha256').update(bytes(kb)).update(d).digest('hex');
  return d;
}
export function json(items: number): number {
  const o = Array.from({ length: items }, (_, i) => ({
    id: i,
    name: `item-${i}`,
    tags: ['a', 'b', String(i % 7)],
    v: i * 1.5,
  }));
  return (JSON.parse(JSON.stringify(o)) as unknown[]).length;
}
export function sortNums(n: number): number {
  const r = rng(n);
  const a = Array.from({ length: n }, () => r());
  a.sort((x, y) => x - y);
  return a[n >> 1]!;
}
export function regex(lines: number): number {
  let c = 0;
  const re = /([a-z]+)@([a-z]+)\.(com|org)/g;
  for (let i = 0; i < lines; i++)
    c += `user${i} wrote to alice${i % 9}@example.com and bob@test.org`.match(re)?.length ?? 0;
  return c;
}
export function sieve(n: number): number {
  const s = new Uint8Array(n + 1);
  let c = 0;
  for (let i = 2; i <= n; i++) {
    if (s[i]) continue;
    c++;
    for (let j = i * i; j <= n; j += i) s[j] = 1;
  }
  return c;
}
export function matmul(n: number): number {
  const a = new Float64Array(n * n).fill(1.5);
  const b = new Float64Array(n * n).fill(0.5);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const x = a[i * n + k]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[k * n + j]!;
    }
  return c[0]!;
}
export function levenshtein(n: number): number {
  const a = 'kitten sitting '.repeat(n / 15 + 1).slice(0, n);
  const b = 'sitting kitten '.repeat(n / 15 + 1).slice(0, n);
  let prev = Array.from({ length: n + 1 }, (_, i) => i);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++)
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[n]!;
}
export function deflate(kb: number): number {
  return deflateSync(bytes(kb)).length;
}
export function base64(kb: number): number {
  return Buffer.from(bytes(kb).toString('base64'), 'base64').length;
}
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
