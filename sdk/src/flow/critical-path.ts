/** A node's timing as the critical path needs it. */
export interface TimedNode {
  readonly name: string;
  readonly needs: readonly string[];
  /** Undefined for a node that did not run (skipped, never reached). */
  readonly startedAt?: number;
  readonly endedAt?: number;
}

/**
 * The run's critical path as it happened: from the node that ended last, back through the need
 * that ended last at each step, to a node that waited for nothing. Shortening any other node
 * would not have made this run end sooner. Returned in run order.
 */
export function criticalPath(nodes: readonly TimedNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let last: TimedNode | undefined;
  for (const n of nodes) {
    if (n.endedAt !== undefined && (last === undefined || n.endedAt > last.endedAt!)) last = n;
  }
  const path: string[] = [];
  const seen = new Set<string>();
  for (let at = last; at && !seen.has(at.name);) {
    seen.add(at.name);
    path.push(at.name);
    let next: TimedNode | undefined;
    for (const need of at.needs) {
      const n = byName.get(need);
      if (n?.endedAt !== undefined && (next === undefined || n.endedAt > next.endedAt!)) next = n;
    }
    at = next;
  }
  return path.reverse();
}
