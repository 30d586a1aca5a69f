import { FoxError } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';
import type { NodeOutcome } from './node-outcome.js';

/**
 * A fail-fast flow run stopped: a node failed (its error is `cause`) or the run's signal aborted.
 * `nodes` holds every node's status at that moment, so partial results are not lost.
 */
export class FoxFlowError extends FoxError {
  readonly flow: string;
  readonly runId: string;
  /** The node whose failure stopped the run; undefined when the run's signal aborted. */
  readonly node: string | undefined;
  readonly nodes: Readonly<Record<string, NodeOutcome<unknown>>>;

  constructor(
    flow: string,
    runId: string,
    node: string | undefined,
    nodes: Record<string, NodeOutcome<unknown>>,
    cause: unknown,
  ) {
    super(
      'FOX_FLOW_FAILED',
      node === undefined
        ? `Flow ${flow} (run ${runId}) was cancelled`
        : `Flow ${flow} (run ${runId}): node '${node}' failed: ${messageOf(cause)}`,
      { cause },
    );
    this.flow = flow;
    this.runId = runId;
    this.node = node;
    this.nodes = nodes;
  }
}

/** A durable run's node returned a value that JSON cannot carry to a later resume. */
export class FoxFlowNotSerializableError extends FoxError {
  readonly flow: string;
  readonly node: string;

  constructor(flow: string, node: string, why: string) {
    super(
      'FOX_FLOW_NOT_SERIALIZABLE',
      `Flow ${flow}: node '${node}' returned a value a durable run cannot record (${why}); ` +
        'durable nodes must return JSON-serialisable values',
    );
    this.flow = flow;
    this.node = node;
  }
}

/** `resume(runId)` named a run the store does not have, or one of another flow. */
export class FoxFlowUnknownRunError extends FoxError {
  readonly runId: string;

  constructor(runId: string, why: string) {
    super('FOX_FLOW_UNKNOWN_RUN', `Flow run ${runId}: ${why}`);
    this.runId = runId;
  }
}

registerFoxErrorClass(FoxFlowError, 'FOX_FLOW_FAILED');
registerFoxErrorClass(FoxFlowNotSerializableError, 'FOX_FLOW_NOT_SERIALIZABLE');
registerFoxErrorClass(FoxFlowUnknownRunError, 'FOX_FLOW_UNKNOWN_RUN');

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
