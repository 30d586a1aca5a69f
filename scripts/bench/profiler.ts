import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProfiler } from '@fox/profiler';
import { median, table, type BenchSection } from './report.js';

/**
 * The profiler's two numbers: how much telemetry one collector ingests (N producer processes
 * sending at full speed into a real SQLite store), and what a connected exporter costs the
 * sfox hot path (fresh processes, interleaved rounds, median).
 */

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

export interface ProfilerBenchOptions {
  producers?: number[];
  ingestMs?: number;
  rounds?: number;
  calls?: number;
}

async function ingest(producers: number, ms: number) {
  const dir = mkdtempSync(join(tmpdir(), 'fox-bench-'));
  const profiler = await startProfiler({ storePath: join(dir, 'fox.db'), bytesPerSecond: 1 << 30 });
  try {
    const outs = await Promise.all(
      Array.from({ length: producers }, () =>
        run(
          process.execPath,
          [join(here, 'profiler-producer.mjs'), profiler.url, String(ms), '200'],
          {
            env: { ...process.env, NODE_OPTIONS: '' },
          },
        ),
      ),
    );
    const sent = outs
      .map((o) => JSON.parse(o.stdout.trim()) as { frames: number; spans: number })
      .reduce((a, b) => ({ frames: a.frames + b.frames, spans: a.spans + b.spans }), {
        frames: 0,
        spans: 0,
      });
    // Let the last frames arrive and the writer flush.
    const settle = Date.now() + 5000;
    while (profiler.counters().framesReceived < sent.frames + producers && Date.now() < settle) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 400));
    const c = profiler.counters();
    const stored = c.store?.spansStored ?? 0;
    return {
      sent,
      accepted: c.framesAccepted,
      stored,
      rejected: Object.values(c.rejected).reduce((a, b) => a + b, 0),
    };
  } finally {
    await profiler.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Variant = 'off' | 'connected' | 'connected-sync';

async function overheadRun(variant: Variant, calls: number, url: string): Promise<number> {
  const out = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=source',
      join(here, 'profiler-overhead-worker.ts'),
      variant,
      String(calls),
    ],
    { env: { ...process.env, NODE_OPTIONS: '', FOX_PROFILER: url } },
  );
  return (JSON.parse(out.stdout.trim().split('\n').pop()!) as { ns: number }).ns;
}

export async function runProfilerBench(options: ProfilerBenchOptions = {}): Promise<BenchSection> {
  const producerCounts = options.producers ?? [1, 4];
  const ingestMs = options.ingestMs ?? 3000;
  const rounds = options.rounds ?? 5;
  const calls = options.calls ?? 1_000_000;

  const rows: Record<string, string>[] = [];
  const verdicts: string[] = [];
  const shed: string[] = [];
  for (const n of producerCounts) {
    const r = await ingest(n, ingestMs);
    const seconds = ingestMs / 1000;
    const dropped = r.sent.spans === 0 ? 0 : 1 - r.stored / r.sent.spans;
    rows.push({
      measurement: `ingest, ${n} producer${n === 1 ? '' : 's'}`,
      result: `${(r.accepted / seconds).toFixed(0)} frames/s, ${(r.stored / seconds).toFixed(0)} spans/s stored`,
      detail: `${(dropped * 100).toFixed(1)}% of spans dropped, ${r.rejected} frames rejected`,
    });
    if (dropped > 0) shed.push(`${n} producers: ${(dropped * 100).toFixed(1)}%`);
  }

  // The profiler the connected variant talks to lives in this process, with a real store.
  const dir = mkdtempSync(join(tmpdir(), 'fox-bench-'));
  const profiler = await startProfiler({ storePath: join(dir, 'fox.db') });
  const samples: Record<Variant, number[]> = { off: [], connected: [], 'connected-sync': [] };
  try {
    for (let i = 0; i < rounds; i++) {
      for (const v of Object.keys(samples) as Variant[]) {
        samples[v].push(await overheadRun(v, calls, profiler.url));
      }
    }
  } finally {
    await profiler.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const off = median(samples.off);
  const on = median(samples.connected);
  const ratio = on / off;
  const syncRatio = median(samples['connected-sync']) / off;
  for (const [variant, xs] of Object.entries(samples)) {
    rows.push({
      measurement: `sfox call, exporter ${variant}`,
      result: `${median(xs).toFixed(1)} ns/call`,
      detail: `runs: ${xs.map((x) => x.toFixed(0)).join(' ')}`,
    });
  }
  verdicts.push(
    `connected / unconnected sfox time per call = ${ratio.toFixed(3)}× (target ≤ 1.2): ${ratio <= 1.2 ? 'PASS' : 'FAIL'}`,
    `connected without async context (asyncContext: false) / unconnected = ${syncRatio.toFixed(3)}× (target ≤ 1.2): ${syncRatio <= 1.2 ? 'PASS' : 'FAIL'}`,
  );
  verdicts.push(
    shed.length > 0
      ? `ingest shed spans under full load (counted, never blocking producers): ${shed.join(', ')}`
      : 'ingest stored every span it was sent',
  );
  return {
    title: 'Profiler: collector ingest and exporter overhead',
    command: 'node --import tsx --conditions=source scripts/bench/profiler.ts',
    description:
      `Ingest: ${producerCounts.join(' and ')} producer process(es), each sending aggregates and 200-span frames as fast as ` +
      `the socket takes them for ${ingestMs / 1000} s, into one collector with a SQLite (WAL) store in a temp dir; spans stored ` +
      `are counted from the store writer. Overhead: ${calls.toLocaleString('en')} sequential awaited sfox calls after ` +
      `warm-up through the real runtime: no profiler, connected through FOX_PROFILER (span sampling at 50 spans/task/s, ` +
      `200 ms interval, AsyncLocalStorage on for span trees), and connected with \`asyncContext: false\`; ` +
      `each in a fresh process, ${rounds} interleaved rounds, median reported. The collector shares the machine's cores with the producers.`,
    table: table(rows),
    verdicts,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await runProfilerBench();
  console.log([s.table, ...s.verdicts].join('\n'));
}
