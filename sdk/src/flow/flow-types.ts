import type { NodeOutcome } from './node-outcome.js';

/** What a node's function receives besides its dependencies' results. */
export interface NodeContext<I> {
  /** The flow run's input. */
  readonly input: I;
  /**
   * Aborts when the run stops: a fail-fast failure elsewhere, or the run's own signal. Pass it
   * on to fox tasks (`task(x, { signal })`) and I/O so they stop too.
   */
  readonly signal: AbortSignal;
  /** The node's name. */
  readonly node: string;
  /** ULID of this node's run (a child of the flow run). */
  readonly runId: string;
  /** ULID of the flow run. */
  readonly flowRunId: string;
}

/**
 * The results a node receives: each name it needs, typed from that node's function when the
 * node was declared before it (a name declared later, or not at all, is `unknown` here and is
 * checked when the flow is built).
 */
export type NodeDeps<R, D extends string> = {
  readonly [K in D]: K extends keyof R ? R[K] : unknown;
};

/** Options of one node. */
export interface NodeOptions<R, D extends string> {
  /** Names of the nodes whose results this one needs; it starts after all of them succeed. */
  readonly needs?: readonly D[];
  /**
   * Runs the node only when this returns true (given the results it needs); otherwise it is
   * skipped with reason `condition`, and so are the nodes that need it.
   */
  readonly when?: (results: NodeDeps<R, D>) => boolean;
}

/** A node's function: a plain function or one that calls fox tasks. */
export type NodeFunction<I, R, D extends string, T> = (
  deps: NodeDeps<R, D>,
  context: NodeContext<I>,
) => T;

/** The results of a run: nodes that may be skipped (`when`, or needing one that may) may be undefined. */
export type FlowResults<R, O extends PropertyKey> = {
  readonly [K in keyof R]: K extends O ? R[K] | undefined : R[K];
};

/** Every node's outcome, typed by node. */
export type FlowOutcomes<R> = { readonly [K in keyof R]: NodeOutcome<R[K]> };

/** Options of one run; they override the ones given to `fox.flow(name, options)`. */
export interface FlowRunOptions {
  /** Stops the run when it aborts: running nodes see their signal abort, queued ones never start. */
  readonly signal?: AbortSignal;
  /** At most this many nodes run at once. Default: unlimited. */
  readonly concurrency?: number;
  /**
   * When a node fails: `false` (default) stops the run (fail-fast) and rejects with
   * `FoxFlowError`; `true` skips the nodes that need it and runs the rest.
   */
  readonly continueOnError?: boolean;
  /**
   * Record each completed node's result in the store (`fox.configure({ store })`), so
   * `resume(runId)` after a crash reruns only what had not completed. Results and the input
   * must be JSON-serialisable.
   */
  readonly durable?: boolean;
}

/** Options of `fox.flow(name, options)`: defaults for its runs. */
export type FlowOptions = Omit<FlowRunOptions, 'signal'>;

/** A finished fail-fast run: every node succeeded or was skipped by a condition. */
export interface FlowResult<R, O extends PropertyKey> {
  readonly flow: string;
  /** ULID of the run. */
  readonly runId: string;
  readonly results: FlowResults<R, O>;
  readonly nodes: FlowOutcomes<R>;
}

/** A finished `continueOnError` run: results of the nodes that succeeded, and every outcome. */
export interface FlowSettled<R> {
  readonly flow: string;
  readonly runId: string;
  /** True when no node failed. */
  readonly ok: boolean;
  readonly results: { readonly [K in keyof R]?: R[K] };
  readonly nodes: FlowOutcomes<R>;
}

/** `run(input?, options?)` for flows whose input type is void, `run(input, options?)` otherwise. */
export type RunArgs<I, Extra> = [I] extends [void]
  ? [input?: I, options?: Extra]
  : [input: I, options?: Extra];

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
