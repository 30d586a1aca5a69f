// One CPU-sampling measurement in a fresh process. `workload`: `sfox` (sequential awaited sfox
// calls, the hot path) or `cpu` (a CPU-bound program: recursion, JSON and sorting in plain
// functions that are not tasks). `mode`: `unprofiled` (no FOX_PROFILER) or `connected` (the
// exporter streams to the profiler named by FOX_PROFILER; FOX_CPU_SAMPLING, set by the parent,
// turns sampling off or picks the interval). Prints {ops, wallMs, cpuMs, inspectorLoaded, …}.
import { performance } from 'node:perf_hooks';
import { fox } from '@fox/sdk';
import { runtime } from '../../sdk/src/runtime/runtime.js';

const [workload = 'cpu', mode = 'connected', msArg] = process.argv.slice(2);
const durationMs = Number(msArg ?? 2000);
if (mode === 'unprofiled') delete process.env.FOX_PROFILER;

const task = fox({ mode: 'sfox', id: 'bench#cpu-sampling' }, async (x: number) => x + 1);
const exporter = runtime().profilerExporter;
if (mode === 'connected') {
  const end = Date.now() + 5000;
  while (!exporter?.counters().connected && Date.now() < end)
    await new Promise((r) => setTimeout(r, 5));
  if (!exporter?.counters().connected) throw new Error('exporter did not connect');
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const doc = {
  items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'] })),
};
function serialise(): number {
  return (JSON.parse(JSON.stringify(doc)) as typeof doc).items.length;
}
function sortNumbers(seed: number): number {
  const xs = Array.from({ length: 200 }, (_, i) => ((i * 7919 + seed) % 1000) / 7);
  xs.sort((a, b) => a - b);
  return xs[0]!;
}
/** One unit of the CPU-bound workload (~0.1 ms). */
function unit(i: number): number {
  return fib(15) + serialise() + sortNumbers(i);
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));
let sink = 0;
async function runFor(ms: number): Promise<number> {
  const t0 = performance.now();
  let ops = 0;
  while (performance.now() - t0 < ms) {
    if (workload === 'sfox') {
      for (let k = 0; k < 4096; k++) sink += await task(ops++);
    } else {
      // ~10 ms of synchronous work per turn, as a CPU-heavy request handler would do.
      for (let k = 0; k < 100; k++) sink += unit(ops++);
    }
    await yieldNow();
  }
  return ops;
}

await runFor(500); // warm-up: JIT, first interval, the sampler's session
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const ops = await runFor(durationMs);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const counters = exporter?.counters();
if (sink === -1) console.log('unreachable');
// Was `node:inspector` ever loaded? With sampling off it must not be.
const inspectorLoaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some(
  (m) => m === 'NativeModule inspector',
);
await fox.shutdown();
console.log(
  JSON.stringify({
    workload,
    mode,
    ops,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    inspectorLoaded,
    cpuWindows: counters?.cpuSampling?.windows ?? 0,
    cpuFrames: counters?.cpuSampling?.frames ?? 0,
    cpuBusyMs: counters?.cpuSampling?.busyMs ?? 0,
  }),
);
