import assert from 'node:assert/strict';
import { ts } from 'ts-morph';
import { FileContext } from '../../src/analysis/file-context.js';
import { sequentialAwaits } from '../../src/analysis/rules/concurrency-rules.js';
import type { RuleReport } from '../../src/analysis/rules/rule.js';

/** What FOX004 itself reports for `source` (before the analyser's de-duplication). */
function reports(source: string): RuleReport[] {
  const sf = ts.createSourceFile('/p/src/a.ts', source, ts.ScriptTarget.ES2022, true);
  const out: RuleReport[] = [];
  sequentialAwaits.check({
    file: new FileContext(sf, '/p/src/a.ts', 'src/a.ts'),
    units: [],
    unitNodes: new Set(),
    settings: { timeoutMs: 2000, laneLimit: 8 },
    report: (r) => out.push(r),
  });
  return out;
}

describe('FOX004 (sequential awaits in a loop)', () => {
  it('reports an await in nested loops once, at the innermost loop', () => {
    const found = reports(`
      declare function load(id: string): Promise<string>;
      export async function all(groups: string[][][]) {
        for (const g of groups) {
          for (const row of g) {
            for (const id of row) {
              await load(id);
            }
          }
        }
      }`);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /^'await load\(id\)'/);
  });

  it('still reports a loop whose own body awaits', () => {
    const found = reports(`
      declare function load(id: string): Promise<string>;
      export async function all(ids: string[]) {
        for (const id of ids) await load(id);
      }`);
    assert.equal(found.length, 1);
  });
});
