import { strict as assert } from 'node:assert';
import { analyzeMain } from '../../src/index.js';
import { dedupeFindings } from '../../src/analysis/dedupe-findings.js';
import type { Finding } from '../../src/analysis/types.js';
import { captureIo, tempProject } from './temp-project.js';

const SOURCE = `import { readFileSync } from 'node:fs';
export async function twoDeep(groups: string[][]) {
  for (const g of groups) {
    for (const u of g) {
      await fetch(u, { signal: AbortSignal.timeout(1000) });
    }
  }
}
export async function threeDeep(groups: string[][][]) {
  for (const g of groups) {
    for (const h of g) {
      for (const u of h) {
        await fetch(u, { signal: AbortSignal.timeout(1000) });
      }
    }
  }
}
export async function twice(p: string) {
  const a = readFileSync(p, 'utf8'); const b = readFileSync(p, 'utf8');
  return a + b;
}
`;

describe('fox analyze: one finding per rule and node', function () {
  this.timeout(60_000);
  const project = tempProject({
    'package.json': '{ "name": "dups", "type": "module" }',
    'src/loops.ts': SOURCE,
  });
  after(() => project.remove());

  it('reports an await in nested loops once, not once per enclosing loop', async () => {
    const io = captureIo();
    await analyzeMain([project.dir, '--format', 'json'], io);
    const { findings } = JSON.parse(io.out) as {
      findings: { rule: string; line: number; column: number }[];
    };
    assert.deepEqual(
      findings.map((f) => `${f.rule} ${f.line}:${f.column}`),
      // One per loop nest, and one per blocking call of the repeated pair (two nodes).
      ['FOX004 5:7', 'FOX004 13:9', 'FOX001 19:13', 'FOX001 19:48'],
    );
  });

  it('text output lists each finding on its own line with file:line, rule and message', async () => {
    const io = captureIo();
    await analyzeMain([project.dir], io);
    const lines = io.out.split('\n').filter((l) => /^src\//.test(l));
    assert.equal(lines.length, 4);
    assert.match(
      lines[0]!,
      /^src\/loops\.ts:5:7 {2}hint {5}FOX004 {2}'await fetch\(u, .*bounded concurrency.* \[likely\]$/,
    );
    assert.match(
      lines[3]!,
      /^src\/loops\.ts:19:48 {2}warning {2}FOX001 {2}blocking I\/O \(readFileSync\) inside async 'twice'/,
    );
    // FOX004 guesses independence from the syntax (likely): hints; blocking calls are certain.
    assert.match(io.out, /0 errors, 2 warnings, 2 hints\n$/);
  });

  it('dedupeFindings keeps the first per rule, file and range', () => {
    const at = (rule: string, path: string, line: number, character: number): Finding =>
      ({
        rule,
        path,
        range: { start: { line, character }, end: { line, character: character + 5 } },
      }) as Finding;
    const first = at('FOX004', '/p/a.ts', 4, 6);
    const kept = dedupeFindings([
      first,
      at('FOX004', '/p/a.ts', 4, 6),
      at('FOX001', '/p/a.ts', 4, 6), // another rule on the same node
      at('FOX004', '/p/b.ts', 4, 6), // another file
      at('FOX004', '/p/a.ts', 4, 7), // another node
    ]);
    assert.equal(kept.length, 4);
    assert.equal(kept[0], first);
  });
});
