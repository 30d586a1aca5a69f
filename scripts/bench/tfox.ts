import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { fox } from '@fox/sdk';
import { median, table, type BenchSection } from './report.js';
import { PLAIN_MODULE, burn, cpu, noop } from './tfox-tasks.js';

/**
 * tfox against piscina 5 and raw worker_threads, same process, same run, 2 threads each:
 * (1) dispatch cost of no-op calls with the pool saturated; (2) one awaited round trip at a
 * time vs a raw postMessage echo; (3) CPU throughput vs two raw threads each doing half the
 * work in one message (the ceiling). Rounds interleave the variants; medians are reported.
 */

const THREADS = 2;
const NOOP_CALLS = 200_000;
const BURST = 10_000;
const RTT_CALLS = 3_000;
const CPU_UNITS = 1; // ≈ 0.4 ms of work per call here
const CPU_CALLS = 600;

type Run = (n: number) => Promise<unknown>;

async function saturated(run: Run, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let done = 0; done < calls; done += BURST) {
    await Promise.all(Array.from({ length: BURST }, (_, i) => run(done + i)));
  }
  return ((performance.now() - t0) * 1000) / calls; // µs per call
}

async function roundTrip(run: Run, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run(i);
  return ((performance.now() - t0) * 1000) / calls;
}

async function cpuThroughput(run: Run): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CPU_CALLS }, () => run(CPU_UNITS)));
  return CPU_CALLS / ((performance.now() - t0) / 1000); // calls/s
}

function rawEcho(): { run: Run; close: () => Promise<number> } {
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));`,
    { eval: true },
  );
  let pending: ((v: unknown) => void) | undefined;
  w.on('message', (m) => pending?.(m));
  return {
    run: (n) => new Promise((r) => ((pending = r), w.postMessage(n))),
    close: () => w.terminate(),
  };
}

async function rawCeiling(moduleUrl: string): Promise<number> {
  const code = `import { parentPort } from 'node:worker_threads'; import { burn } from ${JSON.stringify(moduleUrl)};
parentPort.on('message', (n) => { for (let i = 0; i < n; i++) burn(${CPU_UNITS}); parentPort.postMessage(n); });`;
  const workers = Array.from(
    { length: THREADS },
    () => new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`)),
  );
  // Warm (JIT + start-up) before timing.
  await Promise.all(
    workers.map((w) => new Promise((r) => (w.once('message', r), w.postMessage(20)))),
  );
  const t0 = performance.now();
  await Promise.all(
    workers.map(
      (w) => new Promise((r) => (w.once('message', r), w.postMessage(CPU_CALLS / THREADS))),
    ),
  );
  const rate = CPU_CALLS / ((performance.now() - t0) / 1000);
  await Promise.all(workers.map((w) => w.terminate()));
  return rate;
}

export async function runTfoxBench(options: { rounds?: number } = {}): Promise<BenchSection> {
  const rounds = options.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'fox-tfox-bench-'));
  const plain = join(dir, 'task.mjs');
  writeFileSync(plain, PLAIN_MODULE);
  const plainUrl = pathToFileURL(plain).href;
  fox.configure({ pool: { minThreads: THREADS, maxThreads: THREADS } });
  const piscinaDefault = new Piscina({
    filename: plainUrl,
    minThreads: THREADS,
    maxThreads: THREADS,
  });
  const piscina16 = new Piscina({
    filename: plainUrl,
    minThreads: THREADS,
    maxThreads: THREADS,
    concurrentTasksPerWorker: 16,
  });
  const echo = rawEcho();
  const foxNoop: Run = (n) => noop(n);
  const foxCpu: Run = (u) => cpu(u);
  const pNoop =
    (p: Piscina): Run =>
    (n) =>
      p.run({ n });
  const pCpu =
    (p: Piscina): Run =>
    (u) =>
      p.run({ cpu: u });

  // Warm-up: workers started, modules loaded, JIT settled.
  await saturated(foxNoop, 20_000);
  await saturated(pNoop(piscinaDefault), 20_000);
  await saturated(pNoop(piscina16), 20_000);
  await roundTrip(echo.run, 2_000);
  await cpuThroughput(foxCpu);
  await cpuThroughput(pCpu(piscinaDefault));

  const s: Record<string, number[]> = {};
  const add = (k: string, v: number) => (s[k] ??= []).push(v);
  for (let r = 0; r < rounds; r++) {
    add('sat fox', await saturated(foxNoop, NOOP_CALLS));
    add('sat piscina', await saturated(pNoop(piscinaDefault), NOOP_CALLS / 4));
    add('sat piscina16', await saturated(pNoop(piscina16), NOOP_CALLS / 2));
    // Round trips alternate in short slices so machine noise hits all three alike.
    let raw = 0;
    let viaFox = 0;
    let viaPiscina = 0;
    for (let slice = 0; slice < 10; slice++) {
      raw += await roundTrip(echo.run, RTT_CALLS / 10);
      viaFox += await roundTrip(foxNoop, RTT_CALLS / 10);
      viaPiscina += await roundTrip(pNoop(piscinaDefault), RTT_CALLS / 10);
    }
    add('rtt raw', raw / 10);
    add('rtt fox', viaFox / 10);
    add('rtt piscina', viaPiscina / 10);
    add('cpu raw', await rawCeiling(plainUrl));
    add('cpu fox', await cpuThroughput(foxCpu));
    add('cpu piscina', await cpuThroughput(pCpu(piscinaDefault)));
    const t0 = performance.now();
    for (let i = 0; i < CPU_CALLS / 4; i++) burn(CPU_UNITS);
    add('cpu main', CPU_CALLS / 4 / ((performance.now() - t0) / 1000));
  }
  await echo.close();
  await piscinaDefault.destroy();
  await piscina16.destroy();
  await fox.shutdown();
  rmSync(dir, { recursive: true, force: true });

  const m = (k: string) => median(s[k]!);
  const runs = (k: string, d = 2) => s[k]!.map((x) => x.toFixed(d)).join(' ');
  const rows = [
    {
      measure: 'saturated no-op, µs/call',
      variant: 'fox tfox',
      median: m('sat fox').toFixed(2),
      runs: runs('sat fox'),
    },
    {
      measure: 'saturated no-op, µs/call',
      variant: 'piscina default',
      median: m('sat piscina').toFixed(2),
      runs: runs('sat piscina'),
    },
    {
      measure: 'saturated no-op, µs/call',
      variant: 'piscina concurrentTasksPerWorker:16',
      median: m('sat piscina16').toFixed(2),
      runs: runs('sat piscina16'),
    },
    {
      measure: 'one round trip, µs',
      variant: 'raw postMessage echo',
      median: m('rtt raw').toFixed(1),
      runs: runs('rtt raw', 1),
    },
    {
      measure: 'one round trip, µs',
      variant: 'fox tfox',
      median: m('rtt fox').toFixed(1),
      runs: runs('rtt fox', 1),
    },
    {
      measure: 'one round trip, µs',
      variant: 'piscina default',
      median: m('rtt piscina').toFixed(1),
      runs: runs('rtt piscina', 1),
    },
    {
      measure: 'CPU calls/s (2 threads)',
      variant: 'main thread only (1×)',
      median: m('cpu main').toFixed(0),
      runs: runs('cpu main', 0),
    },
    {
      measure: 'CPU calls/s (2 threads)',
      variant: 'two raw threads (ceiling)',
      median: m('cpu raw').toFixed(0),
      runs: runs('cpu raw', 0),
    },
    {
      measure: 'CPU calls/s (2 threads)',
      variant: 'fox tfox',
      median: m('cpu fox').toFixed(0),
      runs: runs('cpu fox', 0),
    },
    {
      measure: 'CPU calls/s (2 threads)',
      variant: 'piscina default',
      median: m('cpu piscina').toFixed(0),
      runs: runs('cpu piscina', 0),
    },
  ];
  const sat = m('sat fox');
  const vsPiscina = m('sat piscina') / sat;
  const rtt = m('rtt fox') / m('rtt raw');
  const cpuShare = m('cpu fox') / m('cpu raw');
  const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return {
    title: 'tfox: worker pool dispatch, round trip and CPU throughput',
    command: 'node --import tsx --conditions=source scripts/bench/tfox.ts',
    description: `${THREADS} threads for every pool. Saturated: no-op calls in bursts of ${BURST.toLocaleString('en')} awaited with Promise.all (${NOOP_CALLS.toLocaleString('en')} for fox, fewer for the slower peers). Round trip: ${RTT_CALLS.toLocaleString('en')} sequential awaited calls. CPU: ${CPU_CALLS} calls of a fixed compute loop; the ceiling is two raw workers each running half in one message; "main thread only" shows what one thread does. ${rounds} interleaved rounds after warm-up, median reported. Ceiling/main = ${(m('cpu raw') / m('cpu main')).toFixed(2)}× on this machine.`,
    table: table(rows),
    verdicts: [
      `tfox saturated dispatch ${sat.toFixed(2)} µs/call (target ≤ 5): ${pass(sat <= 5)}`,
      `piscina default / tfox = ${vsPiscina.toFixed(1)}× (target ≥ 7): ${pass(vsPiscina >= 7)}`,
      `tfox round trip / raw postMessage = ${rtt.toFixed(3)} (target ≤ 1.10): ${pass(rtt <= 1.1)}`,
      `tfox CPU throughput / two-raw-threads ceiling = ${(cpuShare * 100).toFixed(1)}% (target ≥ 95%): ${pass(cpuShare >= 0.95)}`,
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await runTfoxBench();
  console.log([r.title, r.description, r.table, ...r.verdicts].join('\n\n'));
}
