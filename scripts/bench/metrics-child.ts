// One measurement of the metrics benchmark in a fresh process: sequential awaited sfox calls of
// a trivial async function for a fixed time after warm-up, with no OpenTelemetry MeterProvider
// ('none') or with one registered and the SDK's periodic reader collecting ('otel'). Prints
// CPU and wall ns per call, and (otel) what the reader exported, to show it was really on.
import { performance } from 'node:perf_hooks';
import { metrics } from '@opentelemetry/api';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { fox } from '@fox/sdk';

const [variant, secondsArg, intervalArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 3);
const exportIntervalMillis = Number(intervalArg ?? 500);

let exports = 0;
let exportedCalls = 0;
let recorded = 0;
let provider: MeterProvider | undefined;
if (variant === 'otel') {
  // Keeps only the last count of the task's calls: the cost measured is Fox's and the SDK's
  // collection, not an exporter's serialisation or network.
  const exporter: PushMetricExporter = {
    export(rm: ResourceMetrics, done) {
      exports++;
      for (const scope of rm.scopeMetrics)
        for (const m of scope.metrics)
          if (m.descriptor.name === 'fox.task.calls')
            exportedCalls = m.dataPoints.reduce((n, p) => n + (p.value as number), 0);
          else if (m.descriptor.name === 'fox.task.duration')
            recorded = m.dataPoints.reduce((n, p) => n + (p.value as { count: number }).count, 0);
      done({ code: 0 });
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  provider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis })],
  });
  metrics.setGlobalMeterProvider(provider);
} else if (variant !== 'none') {
  throw new Error(`unknown variant ${variant}`);
}

const f = fox({ mode: 'sfox', id: 'bench#metrics' }, async (x: number) => x + 1);
let sink = 0;
for (let i = 0; i < 300_000; i++) sink += await f(i);

let calls = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 4096; i++) sink += await f(i);
  calls += 4096;
  // Sequential awaits never leave the microtask queue: let the loop turn, as a server's does,
  // so the reader's timer (and its collections) run inside the measured window.
  await new Promise((resolve) => setImmediate(resolve));
}
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await provider?.forceFlush();
await provider?.shutdown();
if (sink === -1) console.log('unreachable');
console.log(
  JSON.stringify({
    variant,
    calls,
    cpuNs: ((cpu.user + cpu.system) * 1000) / calls,
    wallNs: (wall * 1e6) / calls,
    exports,
    exportedCalls,
    recorded,
  }),
);
