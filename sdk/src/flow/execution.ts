import type { Clock } from '../clock/clock.js';
import { runAs } from '../context/run-context.js';
import { FoxAbortedError } from '../errors/errors.js';
import { Call } from '../task/call.js';
import type { NodeContext } from './flow-types.js';
import type { CompiledGraph } from './graph.js';
import type { CallTracer } from '../telemetry/open-telemetry.js';
import type { FlowSpans } from './flow-spans.js';
import { invokeNode, NodeCall, tracedTask } from './node-call.js';
import type { NodeOutcome, NodeProgress, SkipReason } from './node-outcome.js';

/** A node's function as the executor holds it (types are the builder's business). */
export type AnyNodeFunction = (
  deps: Record<string, unknown>,
  context: NodeContext<unknown>,
) => unknown;
export type AnyCondition = (deps: Record<string, unknown>) => boolean;

/** A built flow, ready to run any number of times. */
export interface FlowPlan {
  readonly name: string;
  readonly graph: CompiledGraph;
  readonly fns: readonly AnyNodeFunction[];
  readonly whens: readonly (AnyCondition | undefined)[];
  /** `flow:<name>#<node>`: the task id of node `i`'s runs in the span tree. */
  nodeTaskId(i: number): string;
}

/**
 * Where a durable run writes each node as it completes. Called synchronously from the
 * completion, before any dependant starts; a throw fails the node.
 */
export interface NodeRecorder {
  succeeded(node: number, value: unknown, call: Call, startedAt: number, endedAt: number): void;
  failed(node: number, error: unknown, call: Call, startedAt: number, endedAt: number): void;
}

/** A result restored from the store (a resumed durable run). */
export interface RestoredNode {
  readonly value: unknown;
  readonly runId: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** How a run ended, for the flow to turn into a result or an error. */
export interface ExecutionReport {
  /** Every node's outcome, by index; made on first call (most runs only read results). */
  outcomes(): NodeOutcome<unknown>[];
  /** The results of the nodes that succeeded, by name. */
  results(): Record<string, unknown>;
  /** Set when a fail-fast run stopped: the node that failed, or -1 when the signal aborted. */
  readonly stoppedBy: number | undefined;
  readonly cause: unknown;
  readonly failed: number;
}

export interface ExecutionSettings {
  readonly concurrency: number;
  readonly continueOnError: boolean;
  readonly signal: AbortSignal | undefined;
  readonly recorder: NodeRecorder | undefined;
  readonly restored: ReadonlyMap<number, RestoredNode> | undefined;
  /** Set when the run is sampled for the profiler. */
  readonly spans: FlowSpans | undefined;
  /** The OpenTelemetry bridge: each node run becomes a span. */
  readonly tracer: CallTracer | undefined;
}

const PENDING = 0;
const RUNNING = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const SKIPPED = 4;
const CANCELLED = 5;

const NO_ARGS: unknown[] = [];

/**
 * One run of a plan: a ready queue fed by countdowns of unfinished needs (Kahn's algorithm,
 * driven by completions), at most `concurrency` nodes running. State lives in flat arrays
 * indexed by node so a large graph costs a few allocations per node, not maps of closures.
 *
 * Nodes that complete synchronously feed the queue from inside the pump loop rather than by
 * recursion, so a long chain of synchronous nodes cannot overflow the stack.
 */
export class FlowExecution {
  private readonly n: number;
  private readonly status: Uint8Array;
  private readonly remaining: Int32Array;
  private readonly values: unknown[];
  private readonly errors: unknown[];
  private readonly reasons: (SkipReason | undefined)[];
  private readonly calls: (Call | undefined)[];
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly ready: number[] = [];
  private head = 0;
  private running = 0;
  private done = 0;
  private failedCount = 0;
  private pumping = false;
  private finished = false;
  private stoppedBy: number | undefined;
  private cause: unknown;
  private readonly controller = new AbortController();
  private resolveReport!: (report: ExecutionReport) => void;
  private readonly onOuterAbort = (): void => {
    this.stop(-1, new FoxAbortedError(this.settings.signal?.reason));
  };

  constructor(
    private readonly plan: FlowPlan,
    private readonly input: unknown,
    private readonly flowCall: Call,
    private readonly clock: Clock,
    private readonly settings: ExecutionSettings,
  ) {
    const n = (this.n = plan.graph.names.length);
    this.status = new Uint8Array(n);
    this.remaining = new Int32Array(n);
    this.values = new Array<unknown>(n);
    this.errors = new Array<unknown>(n);
    this.reasons = new Array<SkipReason | undefined>(n);
    this.calls = new Array<Call | undefined>(n);
    this.starts = new Float64Array(n);
    this.ends = new Float64Array(n);
  }

  /** Runs the plan; the report promise never rejects. */
  start(): Promise<ExecutionReport> {
    const report = new Promise<ExecutionReport>((resolve) => (this.resolveReport = resolve));
    const { needsAt, needs, order } = this.plan.graph;
    const restored = this.settings.restored;
    if (restored) {
      for (const [i, r] of restored) {
        this.status[i] = SUCCEEDED;
        this.values[i] = r.value;
        this.starts[i] = r.startedAt;
        this.ends[i] = r.endedAt;
        this.done++;
      }
    }
    for (let i = 0; i < this.n; i++) {
      let left = 0;
      for (let k = needsAt[i]!; k < needsAt[i + 1]!; k++) {
        if (this.status[needs[k]!] !== SUCCEEDED) left++;
      }
      this.remaining[i] = left;
    }
    const signal = this.settings.signal;
    if (signal?.aborted) {
      this.onOuterAbort();
      return report;
    }
    signal?.addEventListener('abort', this.onOuterAbort, { once: true });
    // Seed in topological order, so ties start in declaration-compatible order.
    for (const i of order) {
      if (this.status[i] === PENDING && this.remaining[i] === 0) this.becomeReady(i);
    }
    this.pump();
    return report;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const limit = this.settings.concurrency;
      while (
        this.stoppedBy === undefined &&
        this.running < limit &&
        this.head < this.ready.length
      ) {
        this.launch(this.ready[this.head++]!);
      }
    } finally {
      this.pumping = false;
    }
    if (this.done === this.n) this.finish();
  }

  private launch(i: number): void {
    this.status[i] = RUNNING;
    this.running++;
    const call = new NodeCall(
      this.plan.nodeTaskId(i),
      this.flowCall,
      this.plan.graph.names[i]!,
      this.input,
      this.controller.signal,
      this.depsOf(i),
      this.plan.fns[i]!,
    );
    this.calls[i] = call;
    if (this.settings.spans) call.sampled = true;
    this.starts[i] = this.clock.now();
    let result: unknown;
    try {
      // As the current call, so fox tasks the node calls before its first await are its children.
      const tracer = this.settings.tracer;
      result = runAs(call, tracer ? tracer.wrap(tracedTask(call.taskId), invokeNode) : invokeNode);
    } catch (err) {
      this.failed(i, err);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.succeeded(i, value),
        (err: unknown) => this.failed(i, err),
      );
    } else {
      this.succeeded(i, result);
    }
  }

  private depsOf(i: number): Record<string, unknown> {
    const deps: Record<string, unknown> = {};
    const { names, needsAt, needs } = this.plan.graph;
    for (let k = needsAt[i]!; k < needsAt[i + 1]!; k++) {
      const j = needs[k]!;
      deps[names[j]!] = this.values[j];
    }
    return deps;
  }

  private succeeded(i: number, value: unknown): void {
    if (this.finished || this.status[i] !== RUNNING) return;
    const end = this.clock.now();
    const recorder = this.settings.recorder;
    if (recorder) {
      try {
        recorder.succeeded(i, value, this.calls[i]!, this.starts[i]!, end);
      } catch (err) {
        this.failed(i, err);
        return;
      }
    }
    this.running--;
    this.status[i] = SUCCEEDED;
    this.values[i] = value;
    this.ends[i] = end;
    this.done++;
    this.settings.spans?.node(this.calls[i]!, this.starts[i]!, end, undefined);
    const remaining = this.remaining;
    const { dependantsAt, dependants } = this.plan.graph;
    for (let k = dependantsAt[i]!; k < dependantsAt[i + 1]!; k++) {
      const d = dependants[k]!;
      if (this.status[d] === PENDING && --remaining[d]! === 0) this.becomeReady(d);
    }
    this.pump();
  }

  private failed(i: number, err: unknown): void {
    if (this.finished || this.status[i] !== RUNNING) return;
    this.running--;
    const end = this.clock.now();
    this.status[i] = FAILED;
    this.errors[i] = err;
    this.ends[i] = end;
    this.done++;
    this.failedCount++;
    this.settings.spans?.node(this.calls[i]!, this.starts[i]!, end, err);
    try {
      this.settings.recorder?.failed(i, err, this.calls[i]!, this.starts[i]!, end);
    } catch {
      // The node already failed; a store that cannot record it must not hide that failure.
    }
    if (!this.settings.continueOnError) {
      this.stop(i, err);
      return;
    }
    this.skipDependants(i, { kind: 'dependency-failed', node: this.plan.graph.names[i]! });
    this.pump();
  }

  /** Its needs all succeeded: run it, or skip it (and what needs it) when its condition says so. */
  private becomeReady(i: number): void {
    const when = this.plan.whens[i];
    if (when !== undefined) {
      let go: boolean;
      try {
        go = when(this.depsOf(i)) === true;
      } catch (err) {
        // A throwing condition is the node's failure: it is reported, and fail-fast applies.
        this.status[i] = RUNNING;
        this.running++;
        this.starts[i] = this.clock.now();
        this.calls[i] = new Call(
          this.plan.nodeTaskId(i),
          undefined,
          NO_ARGS,
          this.flowCall,
          undefined,
        );
        this.failed(i, err);
        return;
      }
      if (!go) {
        this.skip(i, { kind: 'condition' });
        this.skipDependants(i, { kind: 'dependency-skipped', node: this.plan.graph.names[i]! });
        return;
      }
    }
    this.ready.push(i);
  }

  private skip(i: number, reason: SkipReason): void {
    this.status[i] = SKIPPED;
    this.reasons[i] = reason;
    this.done++;
  }

  /** Skips every pending node downstream of `from` (an explicit stack: chains can be long). */
  private skipDependants(from: number, direct: SkipReason): void {
    const { dependantsAt, dependants, names } = this.plan.graph;
    const stack: Array<[number, SkipReason]> = [];
    for (let k = dependantsAt[from]!; k < dependantsAt[from + 1]!; k++) {
      stack.push([dependants[k]!, direct]);
    }
    while (stack.length > 0) {
      const [i, reason] = stack.pop()!;
      if (this.status[i] !== PENDING) continue;
      this.skip(i, reason);
      const next: SkipReason = { kind: 'dependency-skipped', node: names[i]! };
      for (let k = dependantsAt[i]!; k < dependantsAt[i + 1]!; k++) {
        stack.push([dependants[k]!, next]);
      }
    }
  }

  /** Fail-fast: abort running nodes, never start queued ones, report now. */
  private stop(by: number, cause: unknown): void {
    if (this.finished || this.stoppedBy !== undefined) return;
    this.stoppedBy = by;
    this.cause = cause;
    for (let i = 0; i < this.n; i++) {
      if (this.status[i] === RUNNING) {
        this.status[i] = CANCELLED;
        this.running--;
        this.settings.spans?.node(this.calls[i]!, this.starts[i]!, this.clock.now(), cause, true);
      } else if (this.status[i] === PENDING) {
        this.status[i] = SKIPPED;
        this.reasons[i] = { kind: 'cancelled' };
      }
    }
    this.controller.abort(cause);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.settings.signal?.removeEventListener('abort', this.onOuterAbort);
    let outcomes: NodeOutcome<unknown>[] | undefined;
    this.resolveReport({
      outcomes: () => (outcomes ??= this.outcomes()),
      results: () => this.results(),
      stoppedBy: this.stoppedBy,
      cause: this.cause,
      failed: this.failedCount,
    });
  }

  private results(): Record<string, unknown> {
    const results: Record<string, unknown> = {};
    const names = this.plan.graph.names;
    for (let i = 0; i < this.n; i++)
      if (this.status[i] === SUCCEEDED) results[names[i]!] = this.values[i];
    return results;
  }

  private outcomes(): NodeOutcome<unknown>[] {
    const out = new Array<NodeOutcome<unknown>>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.outcomeOf(i);
    return out;
  }

  /**
   * Every node as it stands now, for a sampled run's progress frames (see flow-spans.ts):
   * running nodes with their start, pending ones undefined, the rest as their outcome.
   */
  progress(): NodeProgress[] {
    const out = new Array<NodeProgress>(this.n);
    for (let i = 0; i < this.n; i++) {
      const status = this.status[i];
      if (status === PENDING) out[i] = undefined;
      else if (status === RUNNING) {
        out[i] = { status: 'running', startedAt: this.starts[i]!, runId: this.calls[i]!.runId };
      } else out[i] = this.outcomeOf(i);
    }
    return out;
  }

  private outcomeOf(i: number): NodeOutcome<unknown> {
    const call = this.calls[i];
    const startedAt = this.starts[i]!;
    const endedAt = this.ends[i]!;
    switch (this.status[i]) {
      case SUCCEEDED: {
        const r = this.settings.restored?.get(i);
        return r
          ? {
              status: 'succeeded',
              value: r.value,
              runId: r.runId,
              startedAt,
              endedAt,
              restored: true,
            }
          : lazyRunId({ status: 'succeeded', value: this.values[i], startedAt, endedAt }, call!);
      }
      case FAILED:
        return lazyRunId({ status: 'failed', error: this.errors[i], startedAt, endedAt }, call!);
      case CANCELLED:
        return lazyRunId({ status: 'cancelled', startedAt }, call!);
      default:
        return { status: 'skipped', reason: this.reasons[i] ?? { kind: 'cancelled' } };
    }
  }
}

/** Adds `runId` as a getter: a ULID is made only for outcomes someone reads it from. */
function lazyRunId<T extends object>(outcome: T, call: Call): T & { readonly runId: string } {
  return Object.defineProperty(outcome, 'runId', {
    get: () => call.runId,
    enumerable: true,
  }) as T & { readonly runId: string };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
