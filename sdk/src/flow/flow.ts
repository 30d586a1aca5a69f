import { ulid } from 'ulid';
import type { Clock } from '../clock/clock.js';
import { currentCall } from '../context/run-context.js';
import type { FoxStore } from '../store/store.js';
import type { SpanSink } from '../telemetry/exporter.js';
import type { CallTracer } from '../telemetry/open-telemetry.js';
import { FlowSpans } from './flow-spans.js';
import { DurableRun } from './durable-run.js';
import {
  FlowExecution,
  type ExecutionReport,
  type FlowPlan,
  type RestoredNode,
} from './execution.js';
import { FlowCall } from './flow-call.js';
import { tracedTask } from './node-call.js';
import { FoxFlowError } from './flow-errors.js';
import { needsOf } from './graph.js';
import { resolveRunOptions, type FlowOptionsSchema } from './flow-options.js';
import type { FlowResult, FlowRunOptions, FlowSettled, RunArgs } from './flow-types.js';
import type { NodeOutcome } from './node-outcome.js';
import type { z } from 'zod';

/** What a flow needs from the runtime around it. */
export interface FlowHost {
  readonly clock: Clock;
  /** The open store, for durable runs (undefined when none is configured). */
  store(): FoxStore | undefined;
  /** Where sampled spans go while a profiler is connected. */
  spans(): SpanSink | undefined;
  /** The OpenTelemetry bridge while the program has a tracer provider. */
  tracer(): CallTracer | undefined;
}

/** Run options that ask for `continueOnError` (the run then resolves with every outcome). */
export type SettledRunOptions = FlowRunOptions & { readonly continueOnError: true };

/**
 * A built flow: validated once, run any number of times. `R` maps node names to their results;
 * `O` names the nodes that may be skipped (by `when`, or needing one that may be).
 *
 * @example
 * const checkout = fox
 *   .flow<{ userId: string }>('checkout')
 *   .node('user', (_, { input }) => fetchUser(input.userId))
 *   .node('orders', { needs: ['user'] }, ({ user }) => fetchOrders(user.id))
 *   .build();
 * const { results } = await checkout.run({ userId: 'u1' });
 * results.orders; // typed from fetchOrders
 */
export class Flow<I, R, O extends PropertyKey = never> {
  /** @internal */
  constructor(
    private readonly plan: FlowPlan,
    private readonly defaults: z.output<typeof FlowOptionsSchema>,
    private readonly host: FlowHost,
    /** Where the flow was built, for `fox flows resume` to load it. */
    readonly module: string | undefined,
  ) {}

  get name(): string {
    return this.plan.name;
  }

  /** Node names in a topological order (each after everything it needs). */
  get nodes(): readonly string[] {
    return Array.from(this.plan.graph.order, (i) => this.plan.graph.names[i]!);
  }

  /** The nodes each node needs, by name. */
  get needs(): Readonly<Record<string, readonly string[]>> {
    const graph = this.plan.graph;
    return Object.fromEntries(
      graph.names.map((n, i) => [n, needsOf(graph, i).map((j) => graph.names[j]!)]),
    );
  }

  /**
   * Runs the flow. Fail-fast (default): resolves when every node succeeded or was skipped by a
   * condition; rejects with `FoxFlowError` (every node's outcome attached) at the first failure,
   * aborting the signal running nodes see and starting nothing more. With `continueOnError:
   * true`: resolves with every node's outcome; nodes needing a failed one are skipped.
   */
  run(input: I, options: SettledRunOptions): Promise<FlowSettled<R>>;
  run(...args: RunArgs<I, FlowRunOptions>): Promise<FlowResult<R, O>>;
  run(input?: unknown, options?: FlowRunOptions): Promise<unknown> {
    let opts;
    let durable: DurableRun | undefined;
    const runId = ulid();
    try {
      opts = resolveRunOptions(this.defaults, options);
      if (opts.durable) {
        durable = DurableRun.start(
          this.host.store(),
          this.plan.name,
          runId,
          input,
          this.plan.graph,
          this.module,
          this.host.clock,
        );
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.execute(runId, input, opts, durable, undefined);
  }

  /**
   * Resumes a durable run after a crash (or a failure): nodes recorded as completed keep their
   * results and do not run again; the rest run with the input the run was started with.
   * Settles like {@link run}.
   */
  resume(runId: string, options: SettledRunOptions): Promise<FlowSettled<R>>;
  resume(runId: string, options?: Omit<FlowRunOptions, 'durable'>): Promise<FlowResult<R, O>>;
  resume(runId: string, options?: FlowRunOptions): Promise<unknown> {
    try {
      const opts = resolveRunOptions(this.defaults, options);
      const { run, input, restored } = DurableRun.resume(
        this.host.store(),
        this.plan.name,
        runId,
        this.plan.graph,
        this.host.clock,
      );
      return this.execute(runId, input, opts, run, restored);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async execute(
    runId: string,
    input: unknown,
    opts: ReturnType<typeof resolveRunOptions>,
    durable: DurableRun | undefined,
    restored: Map<number, RestoredNode> | undefined,
  ): Promise<unknown> {
    const flowCall = new FlowCall(this.plan.name, runId, currentCall(), opts.signal);
    const spans = FlowSpans.sample(this.host.spans(), flowCall, this.host.clock, this.plan);
    const tracer = this.host.tracer();
    const execution = new FlowExecution(this.plan, input, flowCall, this.host.clock, {
      concurrency: opts.concurrency,
      continueOnError: opts.continueOnError,
      signal: opts.signal,
      recorder: durable?.recorder,
      restored,
      spans,
      tracer,
    });
    spans?.watch(() => execution.progress());
    const report = tracer ? await traced(tracer, flowCall, execution) : await execution.start();
    spans?.end(report.cause, report.stoppedBy === -1, report.outcomes, report.failed > 0);
    if (durable) {
      const status =
        report.stoppedBy === -1 ? 'cancelled' : report.failed > 0 ? 'failed' : 'succeeded';
      durable.end(status, report.cause);
    }
    return this.settle(runId, report, opts.continueOnError);
  }

  private settle(runId: string, report: ExecutionReport, continueOnError: boolean): unknown {
    const names = this.plan.graph.names;
    const nodesOf = (): Record<string, NodeOutcome<unknown>> => {
      const outcomes = report.outcomes();
      const nodes: Record<string, NodeOutcome<unknown>> = {};
      for (let i = 0; i < names.length; i++) nodes[names[i]!] = outcomes[i]!;
      return nodes;
    };
    if (report.stoppedBy !== undefined) {
      const node = report.stoppedBy >= 0 ? names[report.stoppedBy] : undefined;
      throw new FoxFlowError(this.plan.name, runId, node, nodesOf(), report.cause);
    }
    return new RunOutcome(
      this.plan.name,
      runId,
      report.failed === 0,
      report.results(),
      nodesOf,
      continueOnError,
    );
  }
}

/**
 * Runs `execution` inside an OpenTelemetry span named `flow:<name>`; its node runs (started in
 * this span's context, and from reactions registered in it) become its children. The span
 * fails when the run stopped (fail-fast or cancelled).
 */
async function traced(
  tracer: CallTracer,
  flowCall: FlowCall,
  execution: FlowExecution,
): Promise<ExecutionReport> {
  let report: ExecutionReport | undefined;
  const run = async (): Promise<void> => {
    report = await execution.start();
    if (report.stoppedBy !== undefined) throw report.cause;
  };
  await Promise.resolve(tracer.wrap(tracedTask(flowCall.taskId), run)(flowCall)).catch(
    () => undefined,
  );
  return report!;
}

/**
 * What a run resolves with. `nodes` is made on first read: most callers read only the results,
 * and a large flow's outcome objects are a cost per node they would pay for nothing.
 */
class RunOutcome {
  private outcomes: Record<string, NodeOutcome<unknown>> | undefined;
  declare readonly ok?: boolean;

  constructor(
    readonly flow: string,
    readonly runId: string,
    ok: boolean,
    readonly results: Record<string, unknown>,
    private readonly nodesOf: () => Record<string, NodeOutcome<unknown>>,
    settled: boolean,
  ) {
    // `ok` belongs to continueOnError runs (FlowSettled); a fail-fast result never failed.
    if (settled) (this as { ok?: boolean }).ok = ok;
  }

  get nodes(): Record<string, NodeOutcome<unknown>> {
    return (this.outcomes ??= this.nodesOf());
  }
}
