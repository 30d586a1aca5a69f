import assert from 'node:assert/strict';
import {
  AggregatesFrameSchema,
  WIRE_VERSION,
  type AggregatesFrame,
  type HelloFrame,
} from '@fox/sdk/protocol';
import { LiveState } from '../src/live/live-state.js';

const hello: HelloFrame = {
  type: 'hello',
  v: WIRE_VERSION,
  process: {
    id: 'p1',
    pid: 1,
    argv: ['app.js'],
    nodeVersion: 'v20',
    projectRoot: '/p',
    startedAt: 1,
  },
  tasks: [
    { id: 'src/a.ts#f', mode: 'wfox', current: 'wfox', policies: ['timeout'], location: null },
  ],
};

const frame = (running?: AggregatesFrame['tasks'][number]['running']): AggregatesFrame =>
  AggregatesFrameSchema.parse({
    type: 'aggregates',
    seq: running ? 1 : 2,
    at: 10_000,
    intervalMs: 1000,
    process: {
      pid: 1,
      uptimeMs: 1,
      eventLoopDelay: null,
      eventLoopUtilization: 0.1,
      cpu: null,
      heapUsedBytes: 1,
      rssBytes: 1,
      workerPoolUtilization: null,
    },
    tasks: [
      {
        id: 'src/a.ts#f',
        mode: 'wfox',
        current: 'wfox',
        calls: 1204,
        successes: 1200,
        errors: 4,
        errorsByCode: { ECONNRESET: 4 },
        latency: { count: 1204, mean: 5, p50: 4, p90: 9, p99: 30, max: 80 },
        inFlight: 0,
        queued: 0,
        limit: null,
        interval: {
          calls: 10,
          successes: 10,
          errors: 0,
          p50: 3,
          p95: 5,
          p99: 6,
          max: 7,
          histogram: [],
          histogramSum: 30,
        },
        breaker: null,
        ...(running ? { running } : {}),
      },
    ],
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
  });

describe('live task view: what the editor forwards to the language server', () => {
  const collector = {
    framesAccepted: 0,
    framesRejected: 0,
    spansStored: 0,
    spansDropped: 0,
    connections: 1,
  };

  it('keeps the running parameters, errors by code and the run-long latency of a task', () => {
    const live = new LiveState();
    live.hello(hello);
    live.aggregates('p1', frame({ timeoutMs: 1500, retryAttempts: 5 }));
    const t = live.snapshot(collector).tasks[0];
    assert.deepEqual(t?.running, { timeoutMs: 1500, retryAttempts: 5 });
    assert.deepEqual(t?.errorsByCode, { ECONNRESET: 4 });
    assert.deepEqual(t?.latency, { count: 1204, p50: 4, p90: 9, p99: 30, max: 80 });
    // An exporter that stops reporting them (the policy was removed): gone, not stale.
    live.aggregates('p1', frame());
    assert.equal(live.snapshot(collector).tasks[0]?.running, undefined);
  });

  it('rejects running parameters out of range on the wire', () => {
    assert.throws(() => frame({ retryAttempts: 0 }));
  });
});
