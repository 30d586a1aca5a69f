import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table, type BenchSection } from './report.js';

/**
 * Per-call overhead of the sfox path against the peers named in the foundation issue, in one
 * run: bare `await fn()`, fox sfox (telemetry on), cockatiel 3.2.1 `noop`, p-limit(Infinity),
 * and fox wfox for reference. Each measurement is a fresh process; rounds interleave the
 * variants so that machine noise hits all of them alike; the median of the rounds is reported.
 */

const here = dirname(fileURLToPath(import.meta.url));
const VARIANTS = ['bare', 'fox-sfox', 'cockatiel-noop', 'p-limit', 'fox-wfox'] as const;

export async function runOverheadBench(
  options: { rounds?: number; calls?: number } = {},
): Promise<BenchSection> {
  const rounds = options.rounds ?? 5;
  const calls = options.calls ?? 1_000_000;
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) {
      const out = execFileSync(
        process.execPath,
        [join(here, 'overhead-worker.mjs'), v, String(calls)],
        {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: '' },
        },
      );
      samples.get(v)!.push((JSON.parse(out.trim().split('\n').pop()!) as { ns: number }).ns);
    }
  }
  const med = (v: string) => median(samples.get(v)!);
  const bare = med('bare');
  const rows = VARIANTS.map((v) => ({
    variant: v,
    'ns/call (median)': med(v).toFixed(1),
    'overhead ns': v === 'bare' ? '-' : (med(v) - bare).toFixed(1),
    runs: samples
      .get(v)!
      .map((x) => x.toFixed(0))
      .join(' '),
  }));
  const sfox = med('fox-sfox') - bare;
  const cockatiel = med('cockatiel-noop') - bare;
  const plimit = med('p-limit') - bare;
  const verdicts = [
    `sfox overhead ${sfox.toFixed(1)} ns/call (target ≤ 150): ${sfox <= 150 ? 'PASS' : 'FAIL'}`,
    `cockatiel noop overhead / sfox overhead = ${(cockatiel / sfox).toFixed(2)}× (target > 1): ${sfox < cockatiel ? 'PASS' : 'FAIL'}`,
    `p-limit overhead / sfox overhead = ${(plimit / sfox).toFixed(2)}×`,
  ];
  return {
    title: 'Per-call overhead (sfox)',
    command: 'npm run bench -- overhead',
    description: `${calls.toLocaleString('en')} sequential awaited calls of a trivial async function after warm-up, each variant in a fresh process, ${rounds} interleaved rounds, median reported.`,
    table: table(rows),
    verdicts,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await runOverheadBench();
  console.log([s.table, ...s.verdicts].join('\n'));
}
