import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { WireFlowNode } from '@fox/sdk/protocol';
import { FLOW_NODE_HEIGHT, FLOW_NODE_WIDTH, layoutFlow } from '../src/ui/flow-layout.js';

/** A random DAG: node i may need any node before it. */
const dag = fc
  .array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 40 })
  .map((needLists): WireFlowNode[] =>
    needLists.map((picks, i) => ({
      name: `n${i}`,
      needs: i === 0 ? [] : [...new Set(picks.map((p) => `n${p % i}`))],
      status: 'ok',
    })),
  );

describe('flow graph layout', () => {
  it('a diamond: columns by depth, the critical path marked on its nodes and edges', () => {
    const nodes: WireFlowNode[] = [
      { name: 'a', needs: [], status: 'ok' },
      { name: 'b', needs: ['a'], status: 'ok' },
      { name: 'c', needs: ['a'], status: 'failed' },
      { name: 'd', needs: ['b', 'c'], status: 'skipped' },
    ];
    const l = layoutFlow(nodes, ['a', 'b', 'd']);
    assert.deepEqual(
      l.nodes.map((p) => [p.node.name, p.depth, p.critical]),
      [
        ['a', 0, true],
        ['b', 1, true],
        ['c', 1, false],
        ['d', 2, true],
      ],
    );
    assert.deepEqual(
      l.edges.map((e) => `${e.from}>${e.to}${e.critical ? '*' : ''}`),
      ['a>b*', 'a>c', 'b>d*', 'c>d'],
    );
  });

  it('property: every edge points right, no two boxes overlap, all inside the drawing', () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        const l = layoutFlow(nodes, []);
        const at = new Map(l.nodes.map((p) => [p.node.name, p]));
        for (const e of l.edges) assert.ok(at.get(e.from)!.x + FLOW_NODE_WIDTH < at.get(e.to)!.x);
        const seen = new Set<string>();
        for (const p of l.nodes) {
          const key = `${p.x},${p.y}`;
          assert.ok(!seen.has(key), `two nodes at ${key}`);
          seen.add(key);
          assert.ok(p.x + FLOW_NODE_WIDTH <= l.width && p.y + FLOW_NODE_HEIGHT <= l.height);
        }
        // Depth is the longest chain of needs: 0 for roots, one more than its deepest need.
        for (const p of l.nodes) {
          const needs = p.node.needs.map((n) => at.get(n)!.depth);
          assert.equal(p.depth, needs.length === 0 ? 0 : Math.max(...needs) + 1);
        }
      }),
    );
  });

  it('a 5000-node chain lays out without overflowing the stack', () => {
    const nodes: WireFlowNode[] = Array.from({ length: 5000 }, (_, i) => ({
      name: `n${i}`,
      needs: i === 0 ? [] : [`n${i - 1}`],
      status: 'ok',
    }));
    // Reversed, so each depth is asked before its needs' depths are known.
    const l = layoutFlow([...nodes].reverse(), []);
    assert.equal(Math.max(...l.nodes.map((p) => p.depth)), 4999);
  });

  it('orders a column by where its needs sit, so edges do not cross needlessly', () => {
    const l = layoutFlow(
      [
        { name: 'a', needs: [], status: 'ok' },
        { name: 'b', needs: [], status: 'ok' },
        { name: 'x', needs: ['b'], status: 'ok' },
        { name: 'y', needs: ['a'], status: 'ok' },
      ],
      [],
    );
    const y = Object.fromEntries(l.nodes.map((p) => [p.node.name, p.y]));
    assert.ok(y.a! < y.b!);
    assert.ok(y.y! < y.x!, 'y (needs a, on top) above x (needs b)');
  });

  it('needs of nodes not in the frame and self-needs are ignored', () => {
    const l = layoutFlow(
      [
        { name: 'a', needs: ['gone', 'a'], status: 'ok' },
        { name: 'b', needs: ['a'], status: 'ok' },
      ],
      [],
    );
    assert.deepEqual(
      l.nodes.map((p) => p.depth),
      [0, 1],
    );
    assert.equal(l.edges.length, 1);
  });
});
