import { repeatEvery, type Clock, type RepeatingTimer } from '../clock/clock.js';
import { canTrackTree, enterSampledRoot, leaveSampledRoot } from '../context/run-context.js';
import type { FlowRunStatus } from '../protocol/flow-run.js';
import type { SpanOutcome } from '../protocol/wire.js';
import type { Call } from '../task/call.js';
import type { SpanSink } from '../telemetry/exporter.js';
import { errorCode } from '../telemetry/task-metrics.js';
import { flowRunFrame } from './flow-run-frame.js';
import type { CompiledGraph } from './graph.js';
import type { NodeOutcome, NodeProgress } from './node-outcome.js';

/** How often a sampled run in progress re-sends its graph (the exporter keeps the latest). */
const PROGRESS_MS = 250;

/** The run's graph, for the `flow-run` frames a sink that takes them gets. */
export interface FlowRunShape {
  readonly name: string;
  readonly graph: CompiledGraph;
}

/**
 * Spans of a sampled flow run, for the profiler: one for the run (`flow:<name>`) and one per node
 * run (`flow:<name>#<node>`) as its child; fox calls a node makes are sampled as the node's
 * children (the call tree draws the graph). Decided once per run, like a task's root call: an
 * unsampled run pays one field check per node. A sink that takes `flow-run` frames also gets the
 * run's graph when it starts and ends (see protocol/flow-run.ts): what the profiler draws.
 */
export class FlowSpans {
  private constructor(
    private readonly sink: SpanSink,
    private readonly flowCall: Call,
    private readonly clock: Clock,
    private readonly startedAt: number,
    private readonly root: boolean,
    private readonly shape: FlowRunShape | undefined,
  ) {}

  private progressTimer: RepeatingTimer | undefined;

  /** Spans for this run when a profiler is connected and its sampler admits the run. */
  static sample(
    sink: SpanSink | undefined,
    flowCall: Call,
    clock: Clock,
    shape?: FlowRunShape,
  ): FlowSpans | undefined {
    if (!sink) return undefined;
    const gate = sink.gate(flowCall.taskId);
    const parentSampled = flowCall.parent?.sampled === true;
    const sampled = parentSampled ? gate.admitChild() : canTrackTree() && gate.admit();
    if (!sampled) return undefined;
    flowCall.sampled = true;
    // A sampled root keeps the call context across awaits while it runs (see run-context.ts).
    if (!parentSampled) enterSampledRoot();
    const spans = new FlowSpans(sink, flowCall, clock, clock.now(), !parentSampled, shape);
    spans.sendRun('running', undefined, undefined);
    return spans;
  }

  /**
   * While the run is in progress, re-sends its graph every {@link PROGRESS_MS} with each node
   * as `progress` reports it (running, done, pending), so a profiler can show a long run live.
   */
  watch(progress: () => readonly NodeProgress[]): void {
    if (!this.shape || !this.sink.flowRun || this.progressTimer) return;
    this.progressTimer = repeatEvery(this.clock, PROGRESS_MS, () =>
      this.sendRun('running', undefined, progress),
    );
  }

  /** A node ended: `error` undefined for success; `cancelled` when a fail-fast stop cut it. */
  node(call: Call, start: number, end: number, error: unknown, cancelled = false): void {
    this.record(call, this.flowCall.runId, start, end, error, cancelled);
  }

  /** The run ended; `outcomes` (by node index) feed its `flow-run` frame. */
  end(
    error: unknown,
    cancelled: boolean,
    outcomes?: () => readonly NodeOutcome<unknown>[],
    failed = false,
  ): void {
    if (this.root) leaveSampledRoot();
    this.progressTimer?.cancel();
    const end = this.clock.now();
    this.record(this.flowCall, this.parentRunId(), this.startedAt, end, error, cancelled);
    const status: FlowRunStatus = cancelled ? 'cancelled' : failed ? 'failed' : 'ok';
    this.sendRun(status, end, outcomes);
  }

  private parentRunId(): string | null {
    return this.flowCall.parent?.sampled ? this.flowCall.parent.runId : null;
  }

  private sendRun(
    status: FlowRunStatus,
    endedAt: number | undefined,
    outcomes: (() => readonly NodeProgress[]) | undefined,
  ): void {
    const shape = this.shape;
    if (!shape || !this.sink.flowRun) return;
    try {
      this.sink.flowRun(
        flowRunFrame({
          flow: shape.name,
          runId: this.flowCall.runId,
          parentRunId: this.parentRunId(),
          graph: shape.graph,
          status,
          startedAt: this.startedAt,
          ...(endedAt === undefined ? {} : { endedAt }),
          ...(outcomes ? { outcomes: outcomes() } : {}),
        }),
      );
    } catch {
      // Telemetry never fails a run: the graph is a view of it, the spans still go.
    }
  }

  private record(
    call: Call,
    parentRunId: string | null,
    start: number,
    end: number,
    error: unknown,
    cancelled: boolean,
  ): void {
    const code = error === undefined ? undefined : errorCode(error);
    const outcome: SpanOutcome = cancelled ? 'cancelled' : code === undefined ? 'ok' : 'error';
    this.sink.record({
      runId: call.runId,
      parentRunId,
      taskId: call.taskId,
      start: performance.timeOrigin + start,
      duration: Math.max(0, end - start),
      outcome,
      attempt: 1,
      // Nodes are orchestrated on the caller's event loop; the work they call has its own spans.
      strategy: 'sfox',
      ...(code === undefined ? {} : { errorCode: code.slice(0, 64) }),
    });
  }
}
