import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { FoxAnalyzer } from '../../src/index.js';
import { findCycle } from '../../src/analysis/rules/flow-rules.js';

function findings(src: string) {
  return FoxAnalyzer.inMemory({ '/p/package.json': '{}', '/p/src/f.ts': src })
    .analyzeFile('/p/src/f.ts')
    .findings.filter((f) => f.rule === 'FOX009');
}

describe('FOX009 flow graph rule', () => {
  it('names the cycle path in run order, as the sdk does, as an error', () => {
    const [f, ...rest] = findings(`import { fox } from '@fox/sdk';
fox.flow('r')
  .node('a', { needs: ['c'] }, () => 1)
  .node('b', { needs: ['a'] }, () => 2)
  .node('c', { needs: ['b'] }, () => 3)
  .build();
`);
    assert.equal(rest.length, 0);
    assert.match(f!.message, /flow 'r': cycle (a → b → c → a|b → c → a → b|c → a → b → c);/);
    assert.equal(f!.severity, 'error');
    assert.equal(f!.confidence, 'certain');
  });

  it('names the unknown node and the node that needs it', () => {
    const [f] = findings(`import { fox } from '@fox/sdk';
fox.flow('r').node('a', () => 1).node('b', { needs: ['a', 'ghost'] }, () => 2);
`);
    assert.match(f!.message, /node 'b' needs unknown node 'ghost'/);
    assert.equal(f!.line, 2);
  });

  it('finds a real cycle in every cyclic graph and none in acyclic ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).chain((n) =>
          fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), {
            minLength: n,
            maxLength: n,
          }),
        ),
        (needs) => {
          const cycle = findCycle(needs);
          // Acyclic iff a topological order exists (Kahn).
          const left = needs.map((d) => d.length);
          const order = left.flatMap((l, i) => (l === 0 ? [i] : []));
          for (let k = 0; k < order.length; k++) {
            needs.forEach((d, i) => {
              for (const j of d) if (j === order[k] && --left[i]! === 0) order.push(i);
            });
          }
          const acyclic = order.length === needs.length;
          if (acyclic) return assert.equal(cycle, undefined);
          assert.ok(cycle && cycle.length >= 2 && cycle[0] === cycle[cycle.length - 1]);
          for (let k = 0; k + 1 < cycle.length; k++)
            assert.ok(needs[cycle[k + 1]!]!.includes(cycle[k]!));
        },
      ),
      { numRuns: 300 },
    );
  });
});
