import { FoxConfigError } from '../errors/errors.js';

/** A node as declared: its name and the names it needs. */
export interface DeclaredNode {
  readonly name: string;
  readonly needs: readonly string[];
}

/**
 * A validated graph in index form, so the executor walks flat arrays instead of maps. Edges are
 * stored compressed (CSR): the needs of node `i` are `needs[needsAt[i] … needsAt[i + 1])`, its
 * dependants likewise; a 10,000-node graph is then a handful of typed arrays, not 20,000 small
 * ones for the collector to trace. `order` is a topological order (every node after its needs).
 */
export interface CompiledGraph {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly needsAt: Int32Array;
  readonly needs: Int32Array;
  readonly dependantsAt: Int32Array;
  readonly dependants: Int32Array;
  readonly order: Int32Array;
}

/** The indices node `i` needs. */
export function needsOf(graph: CompiledGraph, i: number): number[] {
  return Array.from(graph.needs.subarray(graph.needsAt[i], graph.needsAt[i + 1]));
}

/**
 * Validates a declared graph and compiles it: duplicate names, unknown dependencies and cycles
 * are {@link FoxConfigError}s naming the node (and, for a cycle, its path `a → b → c → a`).
 * Linear in nodes + edges: Kahn's algorithm gives the order; only when it stalls is a cycle
 * searched for, among the nodes it could not place.
 */
export function compileGraph(flow: string, nodes: readonly DeclaredNode[]): CompiledGraph {
  const n = nodes.length;
  const index = new Map<string, number>();
  const names = new Array<string>(n);
  let declaredEdges = 0;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (index.has(node.name)) {
      throw flowConfigError(flow, ['nodes', node.name], `duplicate node name '${node.name}'`);
    }
    index.set(node.name, i);
    names[i] = node.name;
    declaredEdges += node.needs.length;
  }
  const needsAt = new Int32Array(n + 1);
  const needs = new Int32Array(declaredEdges);
  const dependantCount = new Int32Array(n);
  // seen[j] === i + 1 while node i's needs are read: a need listed twice counts once.
  const seen = new Int32Array(n);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    needsAt[i] = edges;
    for (const dep of node.needs) {
      const j = index.get(dep);
      if (j === undefined) {
        throw flowConfigError(
          flow,
          ['nodes', node.name, 'needs'],
          `node '${node.name}' needs unknown node '${dep}'`,
        );
      }
      if (j === i) {
        throw flowConfigError(
          flow,
          ['nodes', node.name, 'needs'],
          `cycle: ${node.name} → ${node.name}`,
        );
      }
      if (seen[j] === i + 1) continue;
      seen[j] = i + 1;
      needs[edges++] = j;
      dependantCount[j]!++;
    }
  }
  needsAt[n] = edges;
  const dependantsAt = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) dependantsAt[i + 1] = dependantsAt[i]! + dependantCount[i]!;
  const dependants = new Int32Array(edges);
  const fill = dependantsAt.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let k = needsAt[i]!; k < needsAt[i + 1]!; k++) dependants[fill[needs[k]!]!++] = i;
  }
  // Kahn's algorithm; `left` counts each node's needs not yet placed.
  const left = new Int32Array(n);
  const order = new Int32Array(n);
  let placed = 0;
  for (let i = 0; i < n; i++) {
    left[i] = needsAt[i + 1]! - needsAt[i]!;
    if (left[i] === 0) order[placed++] = i;
  }
  for (let k = 0; k < placed; k++) {
    const at = order[k]!;
    for (let e = dependantsAt[at]!; e < dependantsAt[at + 1]!; e++) {
      const d = dependants[e]!;
      if (--left[d]! === 0) order[placed++] = d;
    }
  }
  const graph = {
    names,
    index,
    needsAt,
    needs: needs.subarray(0, edges),
    dependantsAt,
    dependants,
    order,
  };
  if (placed < n) {
    const path = findCycle(graph, left).map((i) => names[i]!);
    throw flowConfigError(flow, ['nodes', path[0]!, 'needs'], `cycle: ${path.join(' → ')}`);
  }
  return graph;
}

/**
 * A cycle among the nodes Kahn's algorithm left unplaced (`left` > 0), as a closed path (first
 * node repeated at the end) in run order. Every unplaced node has an unplaced need, so following
 * unplaced needs from any of them must revisit a node; the walk from its first visit is a cycle.
 * Iterative, so a 10,000-node chain cannot overflow the stack.
 */
function findCycle(graph: CompiledGraph, left: Int32Array): number[] {
  let start = 0;
  while (left[start] === 0) start++;
  const position = new Map<number, number>();
  const walk: number[] = [];
  let at = start;
  while (!position.has(at)) {
    position.set(at, walk.length);
    walk.push(at);
    let next = -1;
    for (let k = graph.needsAt[at]!; k < graph.needsAt[at + 1]!; k++) {
      if (left[graph.needs[k]!]! > 0) {
        next = graph.needs[k]!;
        break;
      }
    }
    at = next;
  }
  // The walk follows "needs" edges (a needs b); reversed, the path reads in run order.
  const cycle = walk.slice(position.get(at)).reverse();
  cycle.push(cycle[0]!);
  return cycle;
}

function flowConfigError(flow: string, path: string[], message: string): FoxConfigError {
  return new FoxConfigError(path, `flow '${flow}': ${message}`);
}
