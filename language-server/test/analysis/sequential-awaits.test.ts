import assert from 'node:assert/strict';
import { fox004Reports as reports } from './support/analyze-snippet.js';

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
