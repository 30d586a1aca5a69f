import type { WireFlowNode } from '@fox/sdk/protocol';

/** Node box size and gaps of the flow graph, in SVG user units. */
export const FLOW_NODE_WIDTH = 150;
export const FLOW_NODE_HEIGHT = 42;
const LAYER_GAP = 56;
const ROW_GAP = 14;
const MARGIN = 8;

export interface PlacedNode {
  readonly node: WireFlowNode;
  /** Longest chain of needs below it: 0 for a node that needs nothing. */
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  readonly critical: boolean;
}

export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  /** Both ends are consecutive nodes of the critical path. */
  readonly critical: boolean;
}

export interface FlowLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

/**
 * Layered layout of a flow run's graph (no DOM: node tests use it): each node in the column of
 * its depth (the longest chain of needs under it), so every edge points right; within a column,
 * nodes are ordered by where their needs sit. Needs naming no node of the list are ignored.
 */
export function layoutFlow(
  nodes: readonly WireFlowNode[],
  criticalPath: readonly string[],
): FlowLayout {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    // Iterative: a chain of thousands of nodes must not overflow the stack.
    const stack = [name];
    while (stack.length > 0) {
      const at = stack[stack.length - 1]!;
      let d = 0;
      let waiting = false;
      for (const need of byName.get(at)?.needs ?? []) {
        if (!byName.has(need) || need === at) continue;
        const nd = depth.get(need);
        if (nd === undefined) {
          // A cycle (never sent by the sdk, which rejects them) would loop: mark and move on.
          if (stack.includes(need)) continue;
          stack.push(need);
          waiting = true;
        } else d = Math.max(d, nd + 1);
      }
      if (!waiting) {
        depth.set(at, d);
        stack.pop();
      }
    }
    return depth.get(name)!;
  };
  const layers: WireFlowNode[][] = [];
  for (const node of nodes) (layers[depthOf(node.name)] ??= []).push(node);
  // Within a column, order by the mean row of each node's needs (the barycentre heuristic):
  // fewer crossing edges than frame order, in one pass, left to right.
  const rowOf = new Map<string, number>();
  for (const layer of layers) {
    const key = new Map(
      layer.map((n, i) => {
        const rows = n.needs.flatMap((need) => rowOf.get(need) ?? []);
        return [n, rows.length === 0 ? i : rows.reduce((a, b) => a + b, 0) / rows.length];
      }),
    );
    layer.sort((a, b) => key.get(a)! - key.get(b)!);
    layer.forEach((n, row) => rowOf.set(n.name, row));
  }
  const rows = layers.map((l) => l.length);
  const onPath = new Set(criticalPath);
  const placed: PlacedNode[] = nodes.map((node) => {
    const d = depthOf(node.name);
    const row = rowOf.get(node.name)!;
    return {
      node,
      depth: d,
      x: MARGIN + d * (FLOW_NODE_WIDTH + LAYER_GAP),
      y: MARGIN + row * (FLOW_NODE_HEIGHT + ROW_GAP),
      critical: onPath.has(node.name),
    };
  });
  const criticalEdges = new Set<string>();
  for (let i = 1; i < criticalPath.length; i++) {
    criticalEdges.add(`${criticalPath[i - 1]}\u0000${criticalPath[i]}`);
  }
  const edges: PlacedEdge[] = [];
  for (const node of nodes) {
    for (const need of node.needs) {
      if (!byName.has(need) || need === node.name) continue;
      edges.push({
        from: need,
        to: node.name,
        critical: criticalEdges.has(`${need}\u0000${node.name}`),
      });
    }
  }
  const tallest = Math.max(0, ...rows);
  return {
    nodes: placed,
    edges,
    width: MARGIN * 2 + Math.max(0, layers.length * (FLOW_NODE_WIDTH + LAYER_GAP) - LAYER_GAP),
    height: MARGIN * 2 + Math.max(0, tallest * (FLOW_NODE_HEIGHT + ROW_GAP) - ROW_GAP),
  };
}
