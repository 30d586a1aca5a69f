/** Why a node did not run. */
export type SkipReason =
  /** Its `when(results)` returned false. */
  | { readonly kind: 'condition' }
  /** A node it needs failed (continueOnError). */
  | { readonly kind: 'dependency-failed'; readonly node: string }
  /** A node it needs was skipped. */
  | { readonly kind: 'dependency-skipped'; readonly node: string }
  /** The run stopped (fail-fast or its signal) before the node could start. */
  | { readonly kind: 'cancelled' };

/** Timing of a node that started, in the flow clock's milliseconds. */
export interface NodeTiming {
  /** ULID of the node's run: a child of the flow run. */
  readonly runId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** True when the result came from the store (a resumed durable run), not from running it. */
  readonly restored?: boolean;
}

/** What happened to one node in a run. */
export type NodeOutcome<T> =
  | ({ readonly status: 'succeeded'; readonly value: T } & NodeTiming)
  | ({ readonly status: 'failed'; readonly error: unknown } & NodeTiming)
  | { readonly status: 'skipped'; readonly reason: SkipReason }
  /** It was running when a fail-fast run stopped; its signal was aborted. */
  | { readonly status: 'cancelled'; readonly runId: string; readonly startedAt: number };

/**
 * A node while its run is in progress: its outcome once it has one, `running` with its start,
 * or undefined while it waits for its needs.
 */
export type NodeProgress =
  | NodeOutcome<unknown>
  | { readonly status: 'running'; readonly runId: string; readonly startedAt: number }
  | undefined;
