// One exporter-overhead measurement in a fresh process: sequential awaited sfox calls through
// the real runtime, with no profiler (`off`), connected through FOX_PROFILER as any program
// would be (`connected`: span sampling and AsyncLocalStorage for span trees), or connected
// with async context turned off (`connected-sync`). Prints {variant, ns, framesSent}.
import { performance } from 'node:perf_hooks';
import { fox } from '@fox/sdk';
import { runtime } from '../../sdk/src/runtime/runtime.js';

const [variant = 'off', nArg] = process.argv.slice(2);
const N = Number(nArg ?? 1e6);
if (variant === 'off') delete process.env.FOX_PROFILER;
// 5× the default rate, so several intervals of serialisation land inside the measurement.
fox.configure({
  profilerIntervalMs: 200,
  ...(variant === 'connected-sync' ? { asyncContext: false } : {}),
});
const target = async (x: number) => x + 1;
const task = fox({ mode: 'sfox', id: 'bench#sfox' }, target);

const exporter = runtime().profilerExporter;
if (variant !== 'off') {
  const end = Date.now() + 3000;
  while (!exporter?.counters().connected && Date.now() < end)
    await new Promise((r) => setTimeout(r, 5));
  if (!exporter?.counters().connected) throw new Error('exporter did not connect');
}

// Yield to the event loop now and then (as real programs do), so the exporter's timer and
// socket get their turns inside the measurement; every variant yields alike.
const yieldNow = () => new Promise<void>((r) => setImmediate(r));
let sink = 0;
for (let i = 0; i < Math.min(N, 300_000); i++) {
  sink += await task(i);
  if ((i & 4095) === 0) await yieldNow();
}
// At least N calls and at least 2 s: the profiler's work (intervals, context windows) is
// periodic, so a shorter run would measure where it fell in the period, not its average.
const t0 = performance.now();
let calls = 0;
while (calls < N || performance.now() - t0 < 2000) {
  for (let k = 0; k < 4096; k++) sink += await task(calls++);
  await yieldNow();
}
const ns = ((performance.now() - t0) * 1e6) / calls;
if (sink === -1) console.log('unreachable');
const framesSent = exporter?.counters().framesSent ?? 0;
await fox.shutdown();
console.log(JSON.stringify({ variant, ns, framesSent }));
