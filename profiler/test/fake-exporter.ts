import { LatencyHistogram } from '@fox/sdk/telemetry';
import {
  WIRE_VERSION,
  type AggregatesFrame,
  type ExporterFrame,
  type SpanRecord,
  type WireChaosReport,
  type WireEvent,
} from '@fox/sdk/protocol';
import { WebSocket } from 'ws';

/**
 * A raw WebSocket client that speaks the exporter protocol with frames the test chooses (known
 * numbers), and records what the profiler sends back (acks, relayed control frames).
 */
export class FakeExporter {
  readonly received: unknown[] = [];
  private seq = 0;
  private readonly modes = new Map<string, 'sfox' | 'wfox'>();

  private constructor(
    readonly ws: WebSocket,
    readonly processId: string,
    readonly pid: number,
  ) {
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"ack"')) return;
      try {
        this.received.push(JSON.parse(text));
      } catch {
        this.received.push(text);
      }
    });
  }

  static async connect(
    url: string,
    processId: string,
    tasks: { id: string; mode?: 'sfox' | 'wfox' }[],
    pid = 1000,
  ): Promise<FakeExporter> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const fake = new FakeExporter(ws, processId, pid);
    for (const t of tasks) fake.modes.set(t.id, t.mode ?? 'sfox');
    fake.send({
      type: 'hello',
      v: WIRE_VERSION,
      process: {
        id: processId,
        pid,
        argv: ['node', `/p/${processId}.js`],
        nodeVersion: 'v20.0.0',
        projectRoot: '/p',
        startedAt: Date.now() - 1000,
      },
      tasks: tasks.map((t) => ({
        id: t.id,
        mode: t.mode ?? 'sfox',
        current: t.mode ?? 'sfox',
        policies: ['retry'],
        location: { file: `src/${processId}.ts`, line: 3, column: 1 },
      })),
    });
    return fake;
  }

  send(frame: ExporterFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * One interval: `latencies` are the calls' durations (ms) of each task, `errors` how many
   * of them failed; gauges as given.
   */
  interval(
    at: number,
    tasks: { id: string; latencies: number[]; errors?: number; current?: 'sfox' | 'wfox' }[],
    gauges: { delayP99?: number; elu?: number } = {},
  ): AggregatesFrame {
    this.seq++;
    const frame: AggregatesFrame = {
      type: 'aggregates',
      seq: this.seq,
      at,
      intervalMs: 1000,
      process: {
        pid: this.pid,
        uptimeMs: 1000 * this.seq,
        eventLoopDelay: { p50: 1, p99: gauges.delayP99 ?? 2, max: (gauges.delayP99 ?? 2) + 1 },
        eventLoopUtilization: gauges.elu ?? 0.25,
        cpu: 0.2,
        heapUsedBytes: 32 << 20,
        rssBytes: 64 << 20,
        workerPoolUtilization: null,
      },
      tasks: tasks.map((t) => {
        const h = new LatencyHistogram();
        for (const ms of t.latencies) h.record(ms);
        const calls = t.latencies.length;
        const errors = t.errors ?? 0;
        return {
          id: t.id,
          mode: this.modes.get(t.id) ?? 'sfox',
          current: t.current ?? this.modes.get(t.id) ?? 'sfox',
          calls,
          successes: calls - errors,
          errors,
          errorsByCode: {},
          latency: { count: calls, mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
          inFlight: 2,
          queued: 1,
          limit: null,
          interval: {
            calls,
            successes: calls - errors,
            errors,
            p50: h.quantile(0.5),
            p95: h.quantile(0.95),
            p99: h.quantile(0.99),
            max: h.max,
            histogram: h.toSparse(),
            histogramSum: t.latencies.reduce((a, b) => a + b, 0),
          },
          breaker: null,
        };
      }),
      dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
    };
    this.send(frame);
    return frame;
  }

  spans(spans: SpanRecord[]): void {
    this.send({ type: 'spans', spans });
  }

  events(events: WireEvent[]): void {
    this.send({ type: 'events', events });
  }

  /** Control frames the profiler relayed (approvals, chaos kills). */
  controls(type: string): unknown[] {
    return this.received.filter((m) => (m as { type?: unknown }).type === type);
  }

  close(): void {
    this.ws.terminate();
  }
}

const ci = (value: number, spread: number) => ({
  value,
  low: Math.max(0, value - spread),
  high: value + spread,
});

/** A chaos report with known numbers: the error rate rises during injection. */
export function chaosReport(
  experimentId: string,
  taskId: string,
  at = Date.now(),
): WireChaosReport {
  const phase = (calls: number, errors: number, injected: number, p99: number) => ({
    calls,
    errors,
    injected,
    errorRate: ci(errors / calls, 0.02),
    fallbackRate: ci(0.1, 0.05),
    p50: ci(p99 / 4, 1),
    p99: ci(p99, 5),
  });
  return {
    experimentId,
    name: 'latency on lookups',
    seed: 42,
    startedAt: at - 3000,
    endedAt: at,
    outcome: 'aborted',
    abortReason: 'p99 above 200ms',
    abortLatencyMs: 12,
    affected: 37,
    tasks: {
      [taskId]: {
        before: phase(400, 4, 0, 20),
        during: phase(300, 60, 37, 250),
        after: phase(380, 5, 0, 22),
      },
    },
  };
}

/** A span of `taskId`, optionally injected into by `chaos`. */
export function span(
  runId: string,
  taskId: string,
  start: number,
  duration: number,
  extra: Partial<SpanRecord> = {},
): SpanRecord {
  return {
    runId,
    parentRunId: null,
    taskId,
    start,
    duration,
    outcome: 'ok',
    attempt: 1,
    strategy: 'sfox',
    ...extra,
  };
}
