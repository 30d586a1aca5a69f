import type { Clock } from '../clock/clock.js';
import { FoxConfigError } from '../errors/errors.js';
import type { FoxStore } from '../store/store.js';
import type { Call } from '../task/call.js';
import { fromDurableJson, inputHash, jsonProblem, toDurableJson } from './durable-json.js';
import type { NodeRecorder, RestoredNode } from './execution.js';
import { FoxFlowNotSerializableError, FoxFlowUnknownRunError } from './flow-errors.js';
import { FLOW_RUNS, type FlowRunRow, type FlowRunStatus, type FlowRunStore } from './flow-store.js';
import { needsOf, type CompiledGraph } from './graph.js';

/**
 * The store side of one durable run: the run row, a recorder that writes each node as it
 * completes (synchronously, before its dependants start, so a crash after a node's row is
 * written never reruns it), and, for a resume, the results already recorded.
 */
export class DurableRun {
  readonly recorder: NodeRecorder;
  private readonly monoToWall: number;

  private constructor(
    private readonly runs: FlowRunStore,
    private readonly flow: string,
    readonly runId: string,
    private readonly hash: string,
    graph: CompiledGraph,
    private readonly clock: Clock,
  ) {
    this.monoToWall = clock.wallNow() - clock.now();
    const names = graph.names;
    this.recorder = {
      succeeded: (i, value, call, startedAt, endedAt) => {
        const problem = jsonProblem(value);
        if (problem !== undefined) throw new FoxFlowNotSerializableError(flow, names[i]!, problem);
        this.write(names[i]!, 'succeeded', toDurableJson(value), null, call, startedAt, endedAt);
      },
      failed: (i, error, call, startedAt, endedAt) => {
        this.write(names[i]!, 'failed', null, errorText(error), call, startedAt, endedAt);
      },
    };
  }

  /** Starts a new durable run: checks the input, writes the run row. */
  static start(
    store: FoxStore | undefined,
    flow: string,
    runId: string,
    input: unknown,
    graph: CompiledGraph,
    module: string | undefined,
    clock: Clock,
  ): DurableRun {
    const runs = storeOf(store, flow);
    const problem = jsonProblem(input);
    if (problem !== undefined) {
      throw new FoxConfigError(
        ['input'],
        `flow '${flow}': a durable run's input must be JSON-serialisable (${problem})`,
      );
    }
    const hash = inputHash(input);
    runs.startRun({
      runId,
      flow,
      input: toDurableJson(input),
      inputHash: hash,
      module: module ?? null,
      status: 'running',
      startedAt: clock.wallNow(),
      endedAt: null,
      nodeCount: graph.names.length,
      graph: JSON.stringify(
        graph.names.map((name, i) => [name, needsOf(graph, i).map((j) => graph.names[j])]),
      ),
      error: null,
    });
    return new DurableRun(runs, flow, runId, hash, graph, clock);
  }

  /**
   * Reopens a recorded run of `flow`: its input, and the nodes that completed under that same
   * input (by hash), mapped onto the flow as built now (nodes it no longer has are ignored).
   */
  static resume(
    store: FoxStore | undefined,
    flow: string,
    runId: string,
    graph: CompiledGraph,
    clock: Clock,
  ): { run: DurableRun; input: unknown; restored: Map<number, RestoredNode>; row: FlowRunRow } {
    const runs = storeOf(store, flow);
    const row = runs.run(runId);
    if (!row) throw new FoxFlowUnknownRunError(runId, 'no such run in the store');
    if (row.flow !== flow) {
      throw new FoxFlowUnknownRunError(runId, `it is a run of flow '${row.flow}', not '${flow}'`);
    }
    const restored = new Map<number, RestoredNode>();
    const mono = clock.now() - clock.wallNow();
    for (const node of runs.nodes(runId)) {
      const i = graph.index.get(node.node);
      if (i === undefined || node.status !== 'succeeded' || node.inputHash !== row.inputHash)
        continue;
      restored.set(i, {
        value: fromDurableJson(node.result ?? '{"u":1}'),
        runId: node.nodeRunId,
        startedAt: node.startedAt + mono,
        endedAt: node.endedAt + mono,
      });
    }
    runs.reopenRun(runId);
    return {
      run: new DurableRun(runs, flow, runId, row.inputHash, graph, clock),
      input: fromDurableJson(row.input),
      restored,
      row,
    };
  }

  end(status: FlowRunStatus, error: unknown): void {
    this.runs.endRun(
      this.runId,
      status,
      this.clock.wallNow(),
      error === undefined ? null : errorText(error),
    );
  }

  private write(
    node: string,
    status: 'succeeded' | 'failed',
    result: string | null,
    error: string | null,
    call: Call,
    startedAt: number,
    endedAt: number,
  ): void {
    this.runs.recordNode({
      runId: this.runId,
      node,
      status,
      result,
      error,
      inputHash: this.hash,
      nodeRunId: call.runId,
      startedAt: startedAt + this.monoToWall,
      endedAt: endedAt + this.monoToWall,
    });
  }
}

function storeOf(store: FoxStore | undefined, flow: string): FlowRunStore {
  if (!store) {
    throw new FoxConfigError(
      ['durable'],
      `flow '${flow}': durable runs need a store; call fox.configure({ store: true }) first`,
    );
  }
  return store.use(FLOW_RUNS);
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}
