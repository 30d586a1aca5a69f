import { ts } from 'ts-morph';
import type { Rule, RuleContext } from './rule.js';

/** One `.node(name, { needs }, fn)` of a flow declared with literals. */
interface LiteralNode {
  name: string;
  nameNode: ts.Node;
  needs: { name: string; node: ts.StringLiteralLike }[];
  /** The `needs` array, where a cycle through this node is reported. */
  needsNode: ts.Node | undefined;
}

/**
 * FOX009: a flow declared with literals (`fox.flow('x').node('a', { needs: ['b'] }, fn)…`) whose
 * graph `build()` will refuse: a node needing a name no node has, a name used twice, or a cycle
 * (reported with its path, `a → b → c → a`, as the sdk's FoxConfigError names it). Only chains
 * whose every node name and `needs` entry is a literal are judged: one computed name could be
 * the missing node, so nothing is reported for such a flow.
 */
export const flowGraph: Rule = {
  id: 'FOX009',
  name: 'flow-graph-invalid',
  description:
    'A flow declared with literal node names needs an unknown node, repeats a name, or has a cycle; building it throws FoxConfigError.',
  defaultSeverity: 'error',
  pattern: 'flow',
  needsTypes: false,
  correctness: true,
  check(rc) {
    const names = rc.file.foxImport.localNames;
    if (names.size === 0) return;
    for (const call of rc.file.callLikes()) {
      if (!ts.isCallExpression(call) || !isFoxFlowCall(call, names)) continue;
      const flowName = literalText(call.arguments[0]) ?? '?';
      const nodes = literalChain(call);
      if (nodes) checkGraph(rc, flowName, nodes);
    }
  },
};

/** `fox.flow(…)` (or `fox.flow<T>(…)`) through any local name of the sdk's `fox`. */
function isFoxFlowCall(call: ts.CallExpression, foxNames: ReadonlySet<string>): boolean {
  const callee = call.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'flow' &&
    ts.isIdentifier(callee.expression) &&
    foxNames.has(callee.expression.text)
  );
}

/** The `.node(…)` calls chained on `flowCall`, or undefined when one is not all literals. */
function literalChain(flowCall: ts.CallExpression): LiteralNode[] | undefined {
  const nodes: LiteralNode[] = [];
  let at: ts.Expression = flowCall;
  for (;;) {
    const access = at.parent;
    if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== at) break;
    const call = access.parent;
    if (!call || !ts.isCallExpression(call) || call.expression !== access) break;
    if (access.name.text !== 'node') break;
    const node = literalNode(call);
    if (!node) return undefined;
    nodes.push(node);
    at = call;
  }
  return nodes;
}

function literalNode(call: ts.CallExpression): LiteralNode | undefined {
  const [nameArg, second, third] = call.arguments;
  const name = literalText(nameArg);
  if (name === undefined || !nameArg) return undefined;
  if (third === undefined) return { name, nameNode: nameArg, needs: [], needsNode: undefined };
  if (!second || !ts.isObjectLiteralExpression(second)) return undefined;
  let needsNode: ts.Node | undefined;
  const needs: LiteralNode['needs'] = [];
  for (const p of second.properties) {
    if (ts.isSpreadAssignment(p)) return undefined; // the spread may bring needs
    const key =
      p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (key === undefined) return undefined;
    if (key !== 'needs') continue;
    if (!ts.isPropertyAssignment(p)) return undefined;
    let value = p.initializer;
    while (
      ts.isAsExpression(value) ||
      ts.isSatisfiesExpression(value) ||
      ts.isParenthesizedExpression(value)
    ) {
      value = value.expression;
    }
    if (!ts.isArrayLiteralExpression(value)) return undefined;
    needsNode = value;
    for (const el of value.elements) {
      if (!ts.isStringLiteralLike(el)) return undefined;
      needs.push({ name: el.text, node: el });
    }
  }
  return { name, nameNode: nameArg, needs, needsNode };
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && ts.isStringLiteralLike(node) ? node.text : undefined;
}

function checkGraph(rc: RuleContext, flow: string, nodes: readonly LiteralNode[]): void {
  const index = new Map<string, number>();
  let broken = false;
  nodes.forEach((n, i) => {
    if (index.has(n.name)) {
      broken = true;
      rc.report({
        node: n.nameNode,
        message: `flow '${flow}': duplicate node name '${n.name}'; build() throws FoxConfigError.`,
      });
    } else index.set(n.name, i);
  });
  for (const n of nodes) {
    for (const need of n.needs) {
      if (index.has(need.name)) continue;
      broken = true;
      rc.report({
        node: need.node,
        message: `flow '${flow}': node '${n.name}' needs unknown node '${need.name}'; build() throws FoxConfigError.`,
      });
    }
  }
  if (broken) return; // names are ambiguous: a cycle report would guess which node is meant
  const cycle = findCycle(nodes.map((n) => n.needs.map((d) => index.get(d.name)!)));
  if (!cycle) return;
  // cycle[0] needs the node before the closing one: its needs array holds the closing edge.
  const first = nodes[cycle[0]!]!;
  rc.report({
    node: first.needsNode ?? first.nameNode,
    message: `flow '${flow}': cycle ${cycle.map((i) => nodes[i]!.name).join(' → ')}; build() throws FoxConfigError.`,
  });
}

/**
 * A cycle of a graph given as needs lists, closed (first index repeated), in run order (each
 * node after the one it needs), or undefined. Iterative depth-first search.
 */
export function findCycle(needs: readonly (readonly number[])[]): number[] | undefined {
  const state = new Uint8Array(needs.length); // 0 new, 1 on the path, 2 done
  for (let root = 0; root < needs.length; root++) {
    if (state[root] !== 0) continue;
    const path: number[] = [root];
    const next: number[] = [0];
    state[root] = 1;
    while (path.length > 0) {
      const at = path[path.length - 1]!;
      const k = next[next.length - 1]!;
      if (k >= needs[at]!.length) {
        state[at] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = k + 1;
      const to = needs[at]![k]!;
      if (state[to] === 1) {
        // path from `to` to `at` follows needs edges; reversed, it reads in run order.
        const cycle = path.slice(path.indexOf(to)).reverse();
        cycle.push(cycle[0]!);
        return cycle;
      }
      if (state[to] === 0) {
        state[to] = 1;
        path.push(to);
        next.push(0);
      }
    }
  }
  return undefined;
}
