import { LatencyHistogram } from '@fox/sdk/telemetry';
import { MAX_FRAME_BYTES, parseExporterFrame } from '@fox/sdk/protocol';
import type {
  AggregatesFrame,
  CpuProfileFrame,
  FlowRunFrame,
  HelloFrame,
  SpanRecord,
  WireEvent,
} from '@fox/sdk/protocol';
import type { WebSocket } from 'ws';
import { gaugePointOf } from '../live/gauge-point.js';
import type { CpuProfileWindows } from '../live/cpu-functions.js';
import type { LiveState } from '../live/live-state.js';
import type { BatchWriter } from '../storage/batch-writer.js';
import type { EventRow, SpanTagRow, TaskStateRow } from '../storage/profiler-tables.js';
import type { AggregateRow, TaskRow } from '../storage/store-adapter.js';

/** Why frames were refused, cumulative over all connections. */
export interface IngestCounters {
  framesReceived: number;
  framesAccepted: number;
  rejected: { tooLarge: number; notJson: number; invalid: number; noHello: number; binary: number };
  /** Times a connection was paused for sending faster than its budget. */
  throttled: number;
}

export function emptyIngestCounters(): IngestCounters {
  return {
    framesReceived: 0,
    framesAccepted: 0,
    rejected: { tooLarge: 0, notJson: 0, invalid: 0, noHello: 0, binary: 0 },
    throttled: 0,
  };
}

export function rejectedTotal(c: IngestCounters): number {
  const r = c.rejected;
  return r.tooLarge + r.notJson + r.invalid + r.noHello + r.binary;
}

export interface IngestOptions {
  live: LiveState;
  writer: BatchWriter | undefined;
  counters: IngestCounters;
  /** Largest accepted frame, bytes. Default {@link MAX_FRAME_BYTES}. */
  maxFrameBytes?: number;
  /** Per connection: bytes per second before it is paused. Default 16 MiB. */
  bytesPerSecond?: number;
  /** Open exporter connections by process id (for relaying approval decisions). */
  connections?: Map<string, WebSocket>;
  /** Where `cpu-profile` windows go for the live per-function view. Default: not kept live. */
  cpu?: CpuProfileWindows;
}

/**
 * Serves one exporter connection: validates every frame with the wire schemas, keeps the live
 * state, queues rows for the store. A connection that sends faster than its byte budget is
 * paused (TCP backpressure does the rest), so one client cannot monopolise the event loop.
 */
export function serveExporter(ws: WebSocket, options: IngestOptions): void {
  const { live, writer, counters } = options;
  const maxBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const budget = options.bytesPerSecond ?? 16 << 20;
  let processId: string | undefined;
  let windowStart = Date.now();
  let windowBytes = 0;
  const storedTasks = new Set<string>();
  /** What was last written of each task's live state, to write only changes. */
  const taskStates = new Map<string, TaskStateRow>();

  ws.on('message', (data, isBinary) => {
    counters.framesReceived++;
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer | ArrayBuffer).byteLength;
    throttle(size);
    if (isBinary) {
      counters.rejected.binary++;
      return;
    }
    if (size > maxBytes) {
      counters.rejected.tooLarge++;
      return;
    }
    const parsed = parseExporterFrame(String(data), maxBytes);
    if (!parsed.ok) {
      if (parsed.reason === 'too-large') counters.rejected.tooLarge++;
      else if (parsed.reason === 'not-json') counters.rejected.notJson++;
      else counters.rejected.invalid++;
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'hello') {
      processId = frame.process.id;
      options.connections?.set(processId, ws);
      onHello(frame);
      counters.framesAccepted++;
      return;
    }
    if (processId === undefined) {
      counters.rejected.noHello++;
      return;
    }
    counters.framesAccepted++;
    switch (frame.type) {
      case 'aggregates':
        onAggregates(processId, frame);
        break;
      case 'spans':
        onSpans(processId, frame.spans);
        break;
      case 'events':
        onEvents(processId, frame.events);
        break;
      case 'cpu-profile':
        onCpuProfile(processId, frame);
        break;
      case 'flow-run':
        onFlowRun(processId, frame);
        break;
    }
  });
  ws.on('close', () => {
    if (processId !== undefined && options.connections?.get(processId) === ws) {
      options.connections.delete(processId);
    }
    if (processId !== undefined) live.disconnected(processId);
  });
  ws.on('error', () => {});

  function throttle(size: number): void {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      windowBytes = 0;
    }
    windowBytes += size;
    if (windowBytes > budget) {
      counters.throttled++;
      windowBytes = 0;
      ws.pause();
      setTimeout(() => ws.resume(), 1000 - (now - windowStart)).unref();
    }
  }

  function onHello(frame: HelloFrame): void {
    live.hello(frame);
    if (!writer) return;
    const p = frame.process;
    writer.process({
      id: p.id,
      pid: p.pid,
      startedAt: p.startedAt,
      argv: p.argv,
      nodeVersion: p.nodeVersion,
      projectRoot: p.projectRoot,
    });
    const now = Date.now();
    writer.taskStates(
      frame.tasks.map((t) =>
        rememberTaskState({
          processId: p.id,
          taskId: t.id,
          mode: t.mode,
          current: t.current,
          policies: t.policies,
          breaker: taskStates.get(t.id)?.breaker ?? null,
        }),
      ),
    );
    writer.tasks(
      frame.tasks.map((t) => {
        storedTasks.add(t.id);
        return {
          id: t.id,
          mode: t.mode,
          sourceFile: t.location?.file ?? null,
          line: t.location?.line ?? null,
          column: t.location?.column ?? null,
          firstSeen: now,
          lastSeen: now,
        };
      }),
    );
  }

  /** Tasks a frame mentions that no hello announced still need a row (foreign keys). */
  function ensureTasks(ids: Iterable<[string, string]>): void {
    if (!writer) return;
    const now = Date.now();
    const missing: TaskRow[] = [];
    for (const [id, mode] of ids) {
      if (storedTasks.has(id)) continue;
      storedTasks.add(id);
      missing.push({
        id,
        mode,
        sourceFile: null,
        line: null,
        column: null,
        firstSeen: now,
        lastSeen: now,
      });
    }
    writer.tasks(missing);
  }

  function rememberTaskState(row: TaskStateRow): TaskStateRow {
    taskStates.set(row.taskId, row);
    return row;
  }

  /**
   * Tells the exporter it may forget the frame. With a store, only once its rows have
   * committed: a profiler killed before that never acknowledged them, so the exporter sends
   * them again to the next one (storing is idempotent) instead of counting them delivered.
   */
  function ack(seq: number): void {
    // An exporter that does not read must not grow our memory: acks are cumulative, so the
    // next one that fits covers this seq too.
    if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 16) {
      ws.send(`{"type":"ack","seq":${seq}}`);
    }
  }

  function onAggregates(pid: string, frame: AggregatesFrame): void {
    live.aggregates(pid, frame);
    if (!writer) return ack(frame.seq);
    ensureTasks(frame.tasks.map((t) => [t.id, t.mode]));
    const changed: TaskStateRow[] = [];
    for (const t of frame.tasks) {
      const known = taskStates.get(t.id);
      if (known && known.current === t.current && known.breaker === t.breaker) continue;
      changed.push(
        rememberTaskState({
          processId: pid,
          taskId: t.id,
          // The hello's declared mode stands; aggregates only move `current` and the breaker.
          mode: known?.mode ?? t.mode,
          current: t.current,
          policies: known?.policies ?? [],
          breaker: t.breaker,
        }),
      );
    }
    writer.taskStates(changed);
    const rows = frame.tasks.map((t): AggregateRow => {
      const i = t.interval;
      const h =
        i.histogram.length > 0
          ? LatencyHistogram.fromSparse(i.histogram, i.histogramSum, i.max)
          : undefined;
      return {
        processId: pid,
        taskId: t.id,
        at: frame.at,
        calls: i.calls,
        successes: i.successes,
        errors: i.errors,
        errorsByCode: t.errorsByCode,
        histogram: h ? h.encode() : null,
        p50: i.p50,
        // The store keeps p90; without a histogram p95 is the closest bound we have.
        p90: h ? h.quantile(0.9) : i.p95,
        p99: i.p99,
        max: i.max,
        inFlight: t.inFlight,
        queued: t.queued,
        limit: t.limit,
      };
    });
    const gauge = { processId: pid, ...gaugePointOf(frame), dropped: frame.dropped };
    writer.aggregate(rows, gauge, () => ack(frame.seq));
  }

  function onEvents(pid: string, events: WireEvent[]): void {
    live.events(pid, events);
    if (!writer) return;
    const feed: EventRow[] = [];
    for (const event of events) {
      // Reports go to the sdk's chaos_reports table (where `fox chaos` finds them too).
      if (event.kind === 'chaos-report') writer.chaosReport(event.report);
      else feed.push({ processId: pid, event });
    }
    writer.events(feed);
  }

  function onCpuProfile(pid: string, frame: CpuProfileFrame): void {
    options.cpu?.add(pid, frame);
    writer?.cpuFunctions(
      frame.functions.map((f) => ({
        processId: pid,
        from: frame.from,
        to: frame.to,
        intervalUs: frame.intervalUs,
        file: f.file,
        line: f.line,
        column: f.column,
        name: f.name,
        selfMs: f.selfMs,
        totalMs: f.totalMs,
        samples: f.samples,
        longestSyncMs: f.longestSyncMs ?? null,
      })),
    );
  }

  function onFlowRun(pid: string, frame: FlowRunFrame): void {
    live.flowRun(pid, frame);
    writer?.flowRun({ processId: pid, run: frame });
  }

  function onSpans(pid: string, spans: SpanRecord[]): void {
    live.spans(pid, spans);
    if (!writer) return;
    ensureTasks(spans.map((s) => [s.taskId, s.strategy]));
    const tags = new Map<string, SpanTagRow>();
    for (const s of spans) {
      if (s.chaos === undefined && s.errorCode === undefined) continue;
      tags.set(s.runId, { runId: s.runId, chaos: s.chaos ?? null, errorCode: s.errorCode ?? null });
    }
    writer.span(
      spans.map((s) => ({
        runId: s.runId,
        parentRunId: s.parentRunId,
        taskId: s.taskId,
        processId: pid,
        start: s.start,
        duration: s.duration,
        outcome: s.outcome,
        attempt: s.attempt,
        strategy: s.strategy,
      })),
      tags,
    );
  }
}
