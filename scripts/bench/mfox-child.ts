import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fox } from '@fox/sdk';

/**
 * One measurement of the mfox benchmark in a fresh process (so peak RSS and file descriptors
 * belong to that variant alone). Prints one JSON line.
 */

const [, , what = '', ...rest] = process.argv;

function p99(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

async function files(naive: boolean, dir: string, n: number): Promise<object> {
  const paths = Array.from({ length: n }, (_, i) => `${dir}/${i}.txt`);
  const t0 = performance.now();
  try {
    const out = naive
      ? await Promise.all(paths.map((p) => readFile(p)))
      : await fox.io.readFiles(paths);
    const ms = performance.now() - t0;
    return { ok: true, files: out.length, ms, perSec: (n / ms) * 1000 };
  } catch (e) {
    return {
      ok: false,
      error: (e as { code?: string }).code ?? String(e),
      ms: performance.now() - t0,
    };
  }
}

async function http(naive: boolean, url: string, n: number, limit: number): Promise<object> {
  if (limit > 0) fox.configure({ lanes: { originDefault: { limit } } });
  const lat: number[] = [];
  let failures = 0;
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const s = performance.now();
      try {
        const res = naive ? await fetch(`${url}/${i}`) : await fox.io.fetch(`${url}/${i}`);
        await res.text();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        lat.push(performance.now() - s);
      } catch (e) {
        failures++;
        const c = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        errors[c] = (errors[c] ?? 0) + 1;
      }
    }),
  );
  const ms = performance.now() - t0;
  return { ok: lat.length, failures, errors, ms, goodput: (lat.length / ms) * 1000, p99: p99(lat) };
}

async function hash(naive: boolean, file: string): Promise<object> {
  const t0 = performance.now();
  const digest = naive
    ? createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
    : await fox.io.hashFile(file);
  const ms = performance.now() - t0;
  return { digest, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** A server that adds latency and accepts a bounded number of connections. */
function server(latencyMs: number, maxConnections: number): void {
  const s = createServer((req, res) => setTimeout(() => res.end(req.url), latencyMs));
  s.maxConnections = maxConnections;
  s.keepAliveTimeout = 30_000;
  s.listen(0, '127.0.0.1', () => {
    const a = s.address() as { port: number };
    console.log(JSON.stringify({ port: a.port }));
  });
}

let result: object | undefined;
switch (what) {
  case 'files':
    result = await files(rest[0] === 'naive', rest[1]!, Number(rest[2]));
    break;
  case 'http':
    result = await http(rest[0] === 'naive', rest[1]!, Number(rest[2]), Number(rest[3]));
    break;
  case 'hash':
    result = await hash(rest[0] === 'naive', rest[1]!);
    break;
  case 'server':
    server(Number(rest[0]), Number(rest[1]));
    break;
  default:
    throw new Error(`unknown case ${what}`);
}
if (result) {
  console.log(JSON.stringify(result));
  await fox.shutdown();
}
