// One ingest-benchmark producer: connects to the profiler and sends aggregates and span frames
// as fast as the connection takes them (pausing only on socket backpressure) for DURATION ms.
// Prints {frames, spans} sent.
import { WebSocket } from 'ws';

const [url, durationArg, spansPerFrameArg] = process.argv.slice(2);
const duration = Number(durationArg ?? 3000);
const spansPerFrame = Number(spansPerFrameArg ?? 200);
const id = `BENCH${process.pid}`;
const tasks = Array.from({ length: 20 }, (_, i) => `src/bench.ts#task${i}`);

const ws = new WebSocket(url, { perMessageDeflate: false });
await new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
});
ws.on('message', () => {});
ws.send(
  JSON.stringify({
    type: 'hello',
    v: 1,
    process: {
      id,
      pid: process.pid,
      argv: ['bench'],
      nodeVersion: process.version,
      projectRoot: '/bench',
      startedAt: Date.now(),
    },
    tasks: tasks.map((t) => ({
      id: t,
      mode: 'sfox',
      current: 'sfox',
      policies: [],
      location: null,
    })),
  }),
);

let seq = 0;
let run = 0;
const aggregates = () =>
  JSON.stringify({
    type: 'aggregates',
    seq: ++seq,
    at: Date.now(),
    intervalMs: 1000,
    process: {
      pid: process.pid,
      uptimeMs: 1,
      eventLoopDelay: { p50: 1, p99: 2, max: 3 },
      eventLoopUtilization: 0.5,
      cpu: 0.5,
      heapUsedBytes: 1,
      rssBytes: 1,
      workerPoolUtilization: null,
    },
    tasks: tasks.map((t) => ({
      id: t,
      mode: 'sfox',
      current: 'sfox',
      calls: seq * 100,
      successes: seq * 100,
      errors: 0,
      errorsByCode: {},
      latency: { count: 1, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
      inFlight: 0,
      queued: 0,
      limit: null,
      interval: {
        calls: 100,
        successes: 100,
        errors: 0,
        p50: 1,
        p95: 2,
        p99: 3,
        max: 4,
        histogram: [
          [300, 50],
          [310, 40],
          [320, 10],
        ],
        histogramSum: 150,
      },
      breaker: null,
    })),
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
  });
const spans = () =>
  JSON.stringify({
    type: 'spans',
    spans: Array.from({ length: spansPerFrame }, (_, i) => ({
      runId: `${id}-${++run}`,
      parentRunId: null,
      taskId: tasks[i % tasks.length],
      start: Date.now(),
      duration: 1.5,
      outcome: 'ok',
      attempt: 1,
      strategy: 'sfox',
    })),
  });

let frames = 0;
let spanCount = 0;
const end = Date.now() + duration;
while (Date.now() < end) {
  if (ws.bufferedAmount > 1 << 20) {
    await new Promise((r) => setTimeout(r, 1));
    continue;
  }
  ws.send(frames % 5 === 0 ? aggregates() : spans());
  if (frames % 5 !== 0) spanCount += spansPerFrame;
  frames++;
  if (frames % 20 === 0) await new Promise((r) => setImmediate(r));
}
while (ws.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 5));
ws.close();
console.log(JSON.stringify({ frames, spans: spanCount }));
