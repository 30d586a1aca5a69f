// One exporter-overhead measurement in a fresh process: N sequential awaited sfox calls, with
// the per-call span check the runtime does (`gate.admit()` → `spans.record()`), with or
// without an exporter connected to FOX_PROFILER. Prints {variant, ns}.
import { performance } from 'node:perf_hooks';
import { fox } from '@fox/sdk';
import { runtime } from '../../sdk/src/runtime/runtime.js';
import { profilerUrlFromEnv, startExporter } from '../../sdk/src/telemetry/exporter.js';
import type { SpanGate } from '../../sdk/src/telemetry/span-sampler.js';

const [variant = 'off', nArg] = process.argv.slice(2);
const N = Number(nArg ?? 1e6);
const target = async (x: number) => x + 1;
const task = fox({ mode: 'sfox', id: 'bench#sfox' }, target);

const url = variant === 'connected' ? profilerUrlFromEnv() : undefined;
const rt = runtime();
const exporter = url
  ? startExporter({
      url,
      runtime: {
        processId: rt.processId,
        tasks: () => fox.tasks(),
        stats: () => fox.stats(),
        histogram: (id) => rt.registry.get(id)?.metrics.latency,
      },
      // 5× the default rate, so several intervals of serialisation land inside the measurement.
      intervalMs: 200,
    })
  : undefined;
const gate: SpanGate | undefined = exporter?.spans.gate('bench#sfox');
if (exporter) {
  const end = Date.now() + 3000;
  while (!exporter.counters().connected && Date.now() < end)
    await new Promise((r) => setTimeout(r, 5));
  if (!exporter.counters().connected) throw new Error('exporter did not connect');
}

// What Task.call will do once the lead wires it: one undefined check when no exporter, a gate
// check (and a bounded push when admitted) when one is connected.
async function call(i: number): Promise<number> {
  const start = performance.now();
  const admitted = gate !== undefined && gate.admit();
  const value = await task(i);
  if (admitted) {
    exporter!.spans.record({
      runId: `r${i}`,
      parentRunId: null,
      taskId: 'bench#sfox',
      start,
      duration: performance.now() - start,
      outcome: 'ok',
      attempt: 1,
      strategy: 'sfox',
    });
  }
  return value;
}

// Yield to the event loop now and then (as real programs do), so the exporter's timer and
// socket get their turns inside the measurement; both variants yield alike.
const yieldNow = () => new Promise<void>((r) => setImmediate(r));
let sink = 0;
for (let i = 0; i < Math.min(N, 300_000); i++) {
  sink += await call(i);
  if ((i & 4095) === 0) await yieldNow();
}
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  sink += await call(i);
  if ((i & 4095) === 0) await yieldNow();
}
const ns = ((performance.now() - t0) * 1e6) / N;
if (sink === -1) console.log('unreachable');
const framesSent = exporter?.counters().framesSent ?? 0;
await exporter?.shutdown();
await fox.shutdown();
console.log(JSON.stringify({ variant, ns, framesSent }));
