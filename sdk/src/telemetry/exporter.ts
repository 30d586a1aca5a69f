import type { WebSocket as WsSocket } from 'ws';
import {
  repeatEvery,
  systemClock,
  type Clock,
  type RepeatingTimer,
  type TimerHandle,
} from '../clock/clock.js';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import { backoffDelay } from '../policies/retry.js';
import type { Mode } from '../protocol/modes.js';
import type { StatsSnapshot } from '../protocol/stats.js';
import {
  parseProfilerControlFrame,
  type ApprovalDecision,
  MAX_FRAME_BYTES,
  WIRE_VERSION,
  type AggregatesFrame,
  type BreakerState,
  type CpuProfileFrame,
  type DropCounters,
  type HelloFrame,
  type SpanRecord,
  type TaskAggregate,
  type WireEvent,
  type WireTask,
} from '../protocol/wire.js';
import type { FlowRunFrame } from '../protocol/flow-run.js';
import { startCpuSampler, type CpuSampler, type CpuSamplerOptions } from './cpu-sampler.js';
import { LatencyHistogram } from './histogram.js';
import { IntervalTracker } from './interval-tracker.js';

const EMPTY_HISTOGRAM = new LatencyHistogram();
import { SpanSampler, type SpanGate, type SpanSamplerOptions } from './span-sampler.js';

/** What the exporter needs from the runtime. Everything optional degrades gracefully. */
export interface ExporterHost {
  /** ULID of this process. */
  readonly processId: string;
  /** Project root reported in the hello. Default `process.cwd()`. */
  readonly projectRoot?: string;
  /** Registered tasks (the shape of `fox.tasks()`). */
  tasks(): readonly ExporterTaskInfo[];
  /** The `fox.stats()` snapshot. Called once per interval, never on the hot path. */
  stats(): StatsSnapshot;
  /** Cumulative latency histogram of a task, for exact interval quantiles. */
  histogram(taskId: string): LatencyHistogram | undefined;
  /** Circuit breaker state of a task, or null when it has none. */
  breakerState?(taskId: string): BreakerState | null;
  /** Busy share (0..1) of the worker pool, or null without one. */
  workerPoolUtilization?(): number | null;
  /** A task's live policy parameters (timeout, retry attempts, bulkhead limit), when it has any. */
  runningParameters?(taskId: string): TaskAggregate['running'];
  /** Maps an absolute source file to the project-relative path task ids use. */
  relativePath?(file: string): string;
  /** Events (breaker, limit, strategy changes…) for the profiler's feed. */
  onEvent?(listener: (event: WireEvent) => void): Disposable;
}

/** The subset of `TaskInfo` the exporter reads. */
export interface ExporterTaskInfo {
  id: string;
  mode: Mode;
  current: Exclude<Mode, 'auto'>;
  policies: readonly string[];
  location: { file: string; line: number; column: number } | undefined;
}

/**
 * Where the runtime puts sampled spans. On the call path: `if (gate.admit()) sink.record(span)`
 * with `gate = sink.gate(task.id)` cached per task. `record` only pushes to a bounded array.
 */
export interface SpanSink {
  gate(taskId: string): SpanGate;
  record(span: SpanRecord): void;
  /**
   * A sampled flow run's graph (when it starts, while it runs, when it ends), sent as a
   * `flow-run` frame. Optional: a sink without it gets the run's spans only.
   */
  flowRun?(frame: FlowRunFrame): void;
}

export interface ExporterOptions {
  /** `ws://127.0.0.1:PORT?token=…` (see {@link profilerUrlFromEnv}). */
  url: string;
  runtime: ExporterHost;
  /** How often aggregates are built and sent. Default 1000 ms. */
  intervalMs?: number;
  /** Frames waiting to be sent, in bytes, before the oldest are dropped. Default 4 MiB. */
  maxBufferBytes?: number;
  /** Sampled spans waiting for the next interval before new ones are dropped. Default 10 000. */
  maxPendingSpans?: number;
  /** Events waiting for the next interval. Default 1000. */
  maxPendingEvents?: number;
  sampling?: SpanSamplerOptions;
  /** Reconnect backoff: exponential from `initialMs` to `maxMs`, with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Time for the send interval, reconnect backoff and frame timestamps. Default: the system
   * clock. Waiting for the socket to drain at shutdown stays on real time: it waits on I/O.
   */
  clock?: Clock;
  /** Flush on `beforeExit` and best-effort on `exit`. Default true. */
  exitHooks?: boolean;
  /** Problems the exporter swallowed (it never throws into the program). */
  onDiagnostic?: (message: string) => void;
  /**
   * Samples the process's CPU with V8's profiler while exporting and sends one `cpu-profile`
   * frame per interval (see cpu-sampler.ts). Default: off — no inspector session is opened.
   */
  cpuSampling?: Omit<CpuSamplerOptions, 'onDiagnostic'>;
}

export interface ExporterCounters {
  connected: boolean;
  connects: number;
  framesSent: number;
  /** Aggregates frames built so far (the last `seq`). */
  seq: number;
  bufferedFrames: number;
  bufferedBytes: number;
  dropped: DropCounters;
  /** CPU sampling: windows cut and frames queued; null when sampling is off or not started. */
  cpuSampling: {
    intervalUs: number;
    windows: number;
    frames: number;
    errors: number;
    /** Main-thread time spent cutting and aggregating windows, ms. */
    busyMs: number;
  } | null;
}

/** A running exporter. See {@link startExporter}. */
export interface Exporter {
  readonly url: string;
  /** Hand this to the tasks: see {@link SpanSink}. */
  readonly spans: SpanSink;
  counters(): ExporterCounters;
  /** Builds a frame now and waits (at most `timeoutMs`) until everything buffered is sent. */
  flush(timeoutMs?: number): Promise<void>;
  /** Final flush, then closes the connection and stops. Idempotent; never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
  /**
   * Approval decisions the profiler relays from the editor (validated against the wire schema;
   * the guardian still checks approver, hash and expiry). See `connectApprovals` in guardian.
   */
  readonly onApproval: FoxEvent<ApprovalDecision>;
  /** The profiler relayed the chaos kill switch (from the UI or the editor); carries the reason. */
  readonly onChaosKill: FoxEvent<string>;
}

/** The profiler URL from `FOX_PROFILER`, or undefined when unset or not a ws(s) URL. */
export function profilerUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.FOX_PROFILER?.trim();
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'ws:' || u.protocol === 'wss:' ? raw : undefined;
  } catch {
    return undefined;
  }
}

interface Queued {
  text: string;
  spans: number;
  events: number;
  /** The aggregates frame's seq, 0 for other frames. */
  seq: number;
}

/** Below this much unsent data in the socket we hand it more; above, frames wait in our queue. */
const SOCKET_HIGH_WATER = 1 << 20;
const SPANS_PER_FRAME = 2000;
/** Flow-run frames waiting for the next interval; beyond this they count as dropped events. */
const MAX_PENDING_FLOW_RUNS = 100;

/**
 * Starts streaming this process's telemetry to a Fox profiler. Returns at once; connecting,
 * serialising and sending all happen off the call path, on an unref'd timer, so the program
 * runs (and exits) the same whether or not a profiler listens. While disconnected, frames wait
 * in a bounded buffer (oldest dropped first, counted); the exporter reconnects with exponential
 * backoff and jitter and re-sends its hello first.
 *
 * @example
 * const exporter = startExporter({ url: profilerUrlFromEnv()!, runtime: host });
 * task.recordSpans(exporter.spans.gate(task.id), exporter.spans); // per task, once
 * await exporter.shutdown(); // in fox.shutdown()
 */
export function startExporter(options: ExporterOptions): Exporter {
  return new WsExporter(options);
}

class WsExporter implements Exporter {
  private readonly approvalEmitter = new Emitter<ApprovalDecision>();
  readonly onApproval: FoxEvent<ApprovalDecision> = this.approvalEmitter.event;
  private readonly chaosKillEmitter = new Emitter<string>();
  readonly onChaosKill: FoxEvent<string> = this.chaosKillEmitter.event;
  readonly url: string;
  readonly spans: SpanSink;
  private readonly host: ExporterHost;
  private readonly sampler: SpanSampler;
  private readonly intervalMs: number;
  private readonly maxBufferBytes: number;
  private readonly maxPendingSpans: number;
  private readonly maxPendingEvents: number;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private readonly diagnose: (message: string) => void;
  private readonly clock: Clock;

  private ws: WsSocket | undefined;
  /** The socket library is being imported: a connection is on its way. */
  private loading = false;
  private open = false;
  private stopped = false;
  private attempt = 0;
  private timer: RepeatingTimer | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private lastWindowAt: number;
  private lastTickAt: number;
  private queue: Queued[] = [];
  private queueBytes = 0;
  private pendingSpans: SpanRecord[] = [];
  private pendingEvents: WireEvent[] = [];
  /** Flow-run frames waiting for the next interval (bounded like events; drops count there). */
  private pendingFlowRuns: FlowRunFrame[] = [];
  private readonly dropped: DropCounters = {
    frames: 0,
    spans: 0,
    events: 0,
    unconfirmed: 0,
    sampledOut: 0,
  };
  /**
   * Aggregates frames sent on this connection and not yet acknowledged (the profiler
   * acknowledges a frame once its rows are stored). Sent again on the next connection when
   * this one closes first, so a profiler killed before storing them loses nothing.
   */
  private unacked: Queued[] = [];
  private unackedBytes = 0;
  /** The highest seq a profiler acknowledged; the hello carries it. */
  private acked = 0;
  private seq = 0;
  private connects = 0;
  private framesSent = 0;
  private taskKey = '';
  /** What earlier aggregates frames covered, so each frame carries one interval. */
  private readonly intervals = new IntervalTracker();
  private readonly disposables: Disposable[] = [];
  private readonly exitHandlers: { beforeExit: () => void; exit: () => void } | undefined;
  private shuttingDown: Promise<void> | undefined;
  private cpu: CpuSampler | undefined;
  private cpuFrames = 0;

  constructor(options: ExporterOptions) {
    this.url = options.url;
    this.host = options.runtime;
    this.clock = options.clock ?? systemClock;
    this.lastWindowAt = this.lastTickAt = this.clock.wallNow();
    this.intervalMs = Math.max(10, options.intervalMs ?? 1000);
    this.maxBufferBytes = Math.max(MAX_FRAME_BYTES, options.maxBufferBytes ?? 4 << 20);
    this.maxPendingSpans = Math.max(0, options.maxPendingSpans ?? 10_000);
    this.maxPendingEvents = Math.max(0, options.maxPendingEvents ?? 1000);
    this.backoffInitial = Math.max(1, options.backoff?.initialMs ?? 200);
    this.backoffMax = Math.max(this.backoffInitial, options.backoff?.maxMs ?? 10_000);
    this.diagnose =
      options.onDiagnostic ??
      (process.env.FOX_DEBUG ? (m) => console.error(`[fox exporter] ${m}`) : () => {});
    this.sampler = new SpanSampler(options.sampling);
    this.spans = {
      gate: (taskId) => this.sampler.gate(taskId),
      record: (span) => {
        // The one call-path cost beyond the gate: a bounded push.
        if (this.pendingSpans.length < this.maxPendingSpans) this.pendingSpans.push(span);
        else this.dropped.spans++;
      },
      flowRun: (frame) => {
        // A newer frame of the same run replaces the one still waiting.
        const waiting = this.pendingFlowRuns.findIndex((f) => f.runId === frame.runId);
        if (waiting >= 0) this.pendingFlowRuns[waiting] = frame;
        else if (this.pendingFlowRuns.length < MAX_PENDING_FLOW_RUNS) {
          this.pendingFlowRuns.push(frame);
        } else this.dropped.events++;
      },
    };
    if (this.host.onEvent) {
      this.disposables.push(
        this.host.onEvent((e) => {
          if (this.pendingEvents.length < this.maxPendingEvents) this.pendingEvents.push(e);
          else this.dropped.events++;
        }),
      );
    }
    this.timer = repeatEvery(this.clock, this.intervalMs, () => this.tick());
    if (options.exitHooks !== false) {
      this.exitHandlers = {
        beforeExit: () => void this.shutdown(),
        exit: () => this.finalSyncSend(),
      };
      process.once('beforeExit', this.exitHandlers.beforeExit);
      process.once('exit', this.exitHandlers.exit);
    }
    if (options.cpuSampling) this.startCpuSampling(options.cpuSampling);
    this.connect();
  }

  private startCpuSampling(cpu: Omit<CpuSamplerOptions, 'onDiagnostic'>): void {
    startCpuSampler({ ...cpu, onDiagnostic: this.diagnose }).then(
      (sampler) => {
        // Shut down while the inspector loaded: never leave a session sampling.
        if (this.stopped || this.shuttingDown) sampler.stop();
        else this.cpu = sampler;
      },
      (err: unknown) => this.diagnose(`cpu sampling disabled: ${String(err)}`),
    );
  }

  /** Stops sampling and queues the last window. */
  private stopCpuSampling(): void {
    const sampler = this.cpu;
    this.cpu = undefined;
    if (sampler) this.enqueueCpu(sampler.stop());
  }

  private enqueueCpu(frame: CpuProfileFrame | undefined): void {
    if (!frame) return;
    this.cpuFrames++;
    this.enqueue({ text: JSON.stringify(frame), spans: 0, events: 0, seq: 0 });
  }

  counters(): ExporterCounters {
    return {
      connected: this.open,
      connects: this.connects,
      framesSent: this.framesSent,
      seq: this.seq,
      bufferedFrames: this.queue.length,
      bufferedBytes: this.queueBytes,
      dropped: { ...this.dropped, sampledOut: this.sampler.sampledOut },
      cpuSampling: this.cpu
        ? { intervalUs: this.cpu.intervalUs, ...this.cpu.counters(), frames: this.cpuFrames }
        : null,
    };
  }

  async flush(timeoutMs = 2000): Promise<void> {
    this.tick();
    await this.drain(timeoutMs);
  }

  shutdown(timeoutMs = 2000): Promise<void> {
    return (this.shuttingDown ??= (async () => {
      this.timer?.cancel();
      this.timer = undefined;
      try {
        this.stopCpuSampling();
        this.tick();
        await this.drain(timeoutMs);
      } finally {
        this.stopped = true;
        if (this.reconnectTimer) this.clock.clearTimeout(this.reconnectTimer);
        for (const d of this.disposables.splice(0)) d.dispose();
        if (this.exitHandlers) {
          process.off('beforeExit', this.exitHandlers.beforeExit);
          process.off('exit', this.exitHandlers.exit);
        }
        await this.closeSocket(timeoutMs);
      }
    })().catch((err: unknown) => this.diagnose(`shutdown: ${String(err)}`)));
  }

  // ---- connection -------------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    // A program that shuts down right after its first calls must still send them: `drain`
    // waits while the socket library loads (a turn or two), as it waits while a socket opens.
    this.loading = true;
    import('ws').then(
      ({ WebSocket }) => {
        this.loading = false;
        this.openSocket(WebSocket);
      },
      (err: unknown) => {
        this.loading = false;
        // Without the ws package there is nothing to connect with: stop, but stay bounded.
        this.diagnose(`cannot load 'ws' (${String(err)}); profiler export disabled`);
        this.stopped = true;
      },
    );
  }

  private openSocket(Ctor: typeof WsSocket): void {
    if (this.stopped) return;
    let ws: WsSocket;
    try {
      ws = new Ctor(this.url, {
        handshakeTimeout: 5000,
        maxPayload: 1 << 16,
        perMessageDeflate: false,
      });
    } catch (err) {
      this.diagnose(`bad profiler url ${this.url}: ${String(err)}`);
      this.stopped = true;
      return;
    }
    this.ws = ws;
    ws.on('open', () => {
      // The socket must never keep a finished program alive.
      (ws as unknown as { _socket?: { unref?: () => void } })._socket?.unref?.();
      this.open = true;
      this.attempt = 0;
      this.connects++;
      this.sendNow(JSON.stringify(this.hello()));
      this.pump();
    });
    ws.on('error', (err) => this.diagnose(`socket: ${err.message}`));
    ws.on('close', () => {
      this.open = false;
      this.requeueUnacked();
      if (this.ws === ws) this.ws = undefined;
      this.scheduleReconnect();
    });
    // The profiler sends acknowledgements and relayed control frames (approval decisions,
    // the chaos kill switch); nothing else.
    ws.on('message', (data, binary) => {
      if (binary) return;
      const text = String(data);
      if (!text.startsWith('{"type":"ack"')) {
        const control = parseProfilerControlFrame(text);
        if (control?.type === 'approval') this.approvalEmitter.fire(control.decision);
        else if (control?.type === 'chaos-kill') this.chaosKillEmitter.fire(control.reason);
        return;
      }
      try {
        const ack = JSON.parse(text) as { type?: unknown; seq?: unknown };
        if (ack.type === 'ack' && typeof ack.seq === 'number') this.acknowledge(ack.seq);
      } catch {
        // not an ack: ignore
      }
    });
  }

  /** Forgets the frames up to `seq`: the profiler has stored them. */
  private acknowledge(seq: number): void {
    if (seq > this.acked && seq <= this.seq) this.acked = seq;
    let i = 0;
    while (i < this.unacked.length && this.unacked[i]!.seq <= seq) {
      this.unackedBytes -= this.unacked[i]!.text.length;
      i++;
    }
    if (i > 0) this.unacked.splice(0, i);
  }

  /**
   * Puts the frames a closed connection never acknowledged back at the head of the queue, in
   * order, to go after the next hello. The profiler may have stored some of them (a lost ack):
   * rows are keyed by (task, process, at) and a profiler ignores a seq it has seen, so a
   * duplicate costs nothing. The buffer bound still holds: the oldest frames go first.
   */
  private requeueUnacked(): void {
    const frames = this.unacked;
    this.unacked = [];
    this.unackedBytes = 0;
    if (frames.length === 0) return;
    this.queue = [...frames, ...this.queue];
    for (const f of frames) this.queueBytes += f.text.length;
    this.trimQueue();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    // The retry policy's exponential backoff with "equal jitter" (at least half the backoff, so
    // a crowd of processes spreads out); the exponent is capped so the product stays finite.
    const delay = backoffDelay(
      { backoff: 'exponential', delay: this.backoffInitial, maxDelay: this.backoffMax },
      Math.min(this.attempt, 20) + 1,
      0,
      Math.random,
    );
    this.attempt++;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private async closeSocket(timeoutMs: number): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      t.unref();
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      try {
        if (ws.readyState === ws.CONNECTING) ws.terminate();
        else ws.close(1000, 'shutdown');
      } catch {
        ws.terminate();
      }
    });
  }

  // ---- frames -----------------------------------------------------------------------------

  /** Builds this interval's frames and sends what the socket can take. Never throws. */
  private tick(): void {
    try {
      const now = this.clock.wallNow();
      if (now - this.lastWindowAt >= 1000) {
        this.lastWindowAt = now;
        this.sampler.advance();
      }
      if (this.open && this.tasksChanged()) this.sendNow(JSON.stringify(this.hello()));
      const agg = this.aggregates(now);
      this.enqueue({ text: JSON.stringify(agg), spans: 0, events: 0, seq: agg.seq });
      this.lastTickAt = now;
      while (this.pendingSpans.length > 0) {
        const spans = this.pendingSpans.splice(0, SPANS_PER_FRAME);
        this.enqueue({
          text: JSON.stringify({ type: 'spans', spans }),
          spans: spans.length,
          events: 0,
          seq: 0,
        });
      }
      if (this.pendingEvents.length > 0) {
        const events = this.pendingEvents.splice(0);
        this.enqueue({
          text: JSON.stringify({ type: 'events', events }),
          spans: 0,
          events: events.length,
          seq: 0,
        });
      }
      for (const frame of this.pendingFlowRuns.splice(0)) {
        this.enqueue({ text: JSON.stringify(frame), spans: 0, events: 1, seq: 0 });
      }
      // One CPU window per interval, cut here so windows and aggregates line up.
      if (this.cpu) this.enqueueCpu(this.cpu.cut());
      this.pump();
    } catch (err) {
      this.diagnose(`tick: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  private enqueue(item: Queued): void {
    if (item.text.length > MAX_FRAME_BYTES) {
      this.countDropped(item);
      return;
    }
    this.queue.push(item);
    this.queueBytes += item.text.length;
    this.trimQueue();
  }

  private trimQueue(): void {
    // Oldest first: a live view wants the newest intervals, and the counters are cumulative.
    while (this.queueBytes > this.maxBufferBytes && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queueBytes -= old.text.length;
      this.countDropped(old);
    }
  }

  private countDropped(item: Queued): void {
    if (item.seq > 0) this.dropped.frames++;
    this.dropped.spans += item.spans;
    this.dropped.events += item.events;
  }

  private pump(): void {
    const ws = this.ws;
    if (!this.open || !ws) return;
    // A closing socket would swallow frames silently; they wait for the next connection.
    while (
      this.queue.length > 0 &&
      ws.readyState === ws.OPEN &&
      ws.bufferedAmount < SOCKET_HIGH_WATER
    ) {
      const item = this.queue.shift()!;
      this.queueBytes -= item.text.length;
      this.sendNow(item.text);
      if (item.seq > 0) this.awaitAck(item);
    }
  }

  private awaitAck(item: Queued): void {
    this.unacked.push(item);
    this.unackedBytes += item.text.length;
    // A profiler that never acknowledges must not grow this list: past the buffer's bound the
    // oldest are forgotten — delivered or not, nobody will know (`unconfirmed`).
    while (
      this.unacked.length > 1 &&
      (this.unackedBytes > this.maxBufferBytes || this.unacked.length > 1000)
    ) {
      this.unackedBytes -= this.unacked.shift()!.text.length;
      this.dropped.unconfirmed++;
    }
  }

  private sendNow(text: string): void {
    try {
      this.ws?.send(text);
      this.framesSent++;
    } catch (err) {
      this.diagnose(`send: ${String(err)}`);
    }
  }

  private async drain(timeoutMs: number): Promise<void> {
    // Real time, not the injected clock: this waits on the socket (I/O), and a fake clock that
    // nobody ticks would hold shutdown forever.
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.pump();
      const ws = this.ws;
      // Idle once the profiler has acknowledged (stored) every frame, not only once sent.
      const idle =
        this.queue.length === 0 &&
        (!ws || (ws.bufferedAmount === 0 && (!this.open || this.unacked.length === 0)));
      // Nothing to wait for when idle, or when there is no connection and none in progress.
      if (idle || (!this.open && !ws && !this.loading)) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** On `exit` only synchronous work runs: hand the socket one last frame if connected. */
  private finalSyncSend(): void {
    if (!this.open || this.stopped) return;
    try {
      this.tick();
    } catch {
      // best effort
    }
  }

  private tasksChanged(): boolean {
    const key = this.taskKeyOf(this.host.tasks());
    return key !== this.taskKey;
  }

  private taskKeyOf(tasks: readonly ExporterTaskInfo[]): string {
    let key = String(tasks.length);
    for (const t of tasks) key += `|${t.id}:${t.current}`;
    return key;
  }

  private hello(): HelloFrame {
    const host = this.host;
    const tasks = host.tasks();
    this.taskKey = this.taskKeyOf(tasks);
    return {
      type: 'hello',
      v: WIRE_VERSION,
      process: {
        id: host.processId,
        pid: process.pid,
        argv: process.argv.slice(1, 257).map((a) => a.slice(0, 4096)),
        nodeVersion: process.version,
        projectRoot: (host.projectRoot ?? process.cwd()).slice(0, 4096),
        startedAt: Math.round(this.clock.wallNow() - process.uptime() * 1000),
      },
      ...(this.acked > 0 ? { acked: this.acked } : {}),
      tasks: tasks.slice(0, 10_000).map((t): WireTask => ({
        id: t.id,
        mode: t.mode,
        current: t.current,
        policies: t.policies.slice(0, 32).map((p) => p.slice(0, 64)),
        location: t.location
          ? {
              file: (host.relativePath?.(t.location.file) ?? t.location.file).slice(0, 1024),
              line: t.location.line,
              column: t.location.column,
            }
          : null,
      })),
    };
  }

  private aggregates(now: number): AggregatesFrame {
    const host = this.host;
    const snapshot = host.stats();
    const tasks: TaskAggregate[] = snapshot.tasks.slice(0, 10_000).map((t) => {
      const d = this.intervals.next(t.id, {
        ...t,
        latency: host.histogram(t.id) ?? EMPTY_HISTOGRAM,
      });
      const h = d.latency;
      const interval: TaskAggregate['interval'] = {
        calls: d.calls,
        successes: d.successes,
        errors: d.errors,
        p50: h.quantile(0.5),
        p95: h.quantile(0.95),
        p99: h.quantile(0.99),
        max: h.max,
        histogram: h.toSparse(),
        histogramSum: h.sum,
      };
      const running = host.runningParameters?.(t.id);
      return {
        ...t,
        interval,
        breaker: host.breakerState?.(t.id) ?? null,
        ...(running ? { running } : {}),
      };
    });
    return {
      type: 'aggregates',
      seq: ++this.seq,
      at: now,
      intervalMs: Math.max(0, now - this.lastTickAt),
      process: {
        ...snapshot.process,
        workerPoolUtilization: host.workerPoolUtilization?.() ?? null,
      },
      tasks,
      dropped: { ...this.dropped, sampledOut: this.sampler.sampledOut },
    };
  }
}
