import { Call } from '../task/call.js';

/**
 * The call a flow run is in the span tree: its run id is the flow run's ULID (fixed up front, so
 * a resumed run keeps it), and node runs are its children. Its parent is the fox call that
 * started the run, if any.
 */
export class FlowCall extends Call {
  constructor(
    flow: string,
    private readonly flowRunId: string,
    parent: Call | undefined,
    signal: AbortSignal | undefined,
  ) {
    super(flowTaskId(flow), undefined, [], parent, signal);
  }

  override get runId(): string {
    return this.flowRunId;
  }

  override get hasRunId(): boolean {
    return true;
  }
}

/** The task id a flow's runs carry in telemetry: `flow:<name>`. */
export function flowTaskId(flow: string): string {
  return `flow:${flow}`;
}

/** The task id a node's runs carry: `flow:<name>#<node>`. */
export function nodeTaskId(flow: string, node: string): string {
  return `flow:${flow}#${node}`;
}
