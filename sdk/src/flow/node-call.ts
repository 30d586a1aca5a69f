import { Call } from '../task/call.js';
import type { TracedTask } from '../telemetry/open-telemetry.js';
import type { AnyNodeFunction } from './execution.js';
import type { NodeContext } from './flow-types.js';

const NO_ARGS: unknown[] = [];

/**
 * A node's run: its place in the call tree (a child of the flow's call, the parent of the fox
 * calls the node makes) and, as the same object, the context its function receives. One object
 * per node instead of a call, a context and a closure: orchestration cost per node is the
 * measure flows are held to.
 */
export class NodeCall extends Call implements NodeContext<unknown> {
  constructor(
    taskId: string,
    flowCall: Call,
    readonly node: string,
    readonly input: unknown,
    private readonly flowSignal: AbortSignal,
    readonly deps: Record<string, unknown>,
    readonly fn: AnyNodeFunction,
  ) {
    super(taskId, undefined, NO_ARGS, flowCall, undefined);
  }

  /** The flow run's signal: every node stops together. */
  override get signal(): AbortSignal {
    return this.flowSignal;
  }

  get flowRunId(): string {
    return this.parent!.runId;
  }
}

/** Runs a node's function (the innermost step, run as the node's call). */
export const invokeNode = (call: Call): unknown => {
  const node = call as NodeCall;
  return node.fn(node.deps, node);
};

/** A flow or node run as the OpenTelemetry bridge sees a task. */
export function tracedTask(id: string): TracedTask {
  return { id, current: 'sfox', chaos: undefined, location: undefined };
}
