import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FoxAnalyzer, applyEdits } from '../../src/index.js';

/**
 * Data-driven rule tests (rust-analyzer style): `fixtures/rules/<RULE>/<case>.ts` is analysed
 * as `src/<case>.ts` of an in-memory project. Its first line, `// expect <RULE>: 5, 12` (or
 * `// expect <RULE>: none`), lists the lines the rule must report, in order; a line written
 * `5:likely` also fixes the finding's confidence. When `<case>.after.ts` exists, the first quick
 * fix of the first certain finding (else of the first finding) must turn the file into it
 * exactly. `UPDATE_FIXTURES=1` rewrites the after files from the current output.
 */
const here = dirname(fileURLToPath(import.meta.url));
const rulesDir = join(here, '..', 'fixtures', 'rules');

interface Case {
  rule: string;
  name: string;
  dir: string;
  path: string;
  text: string;
}

const cases: Case[] = readdirSync(rulesDir)
  .sort()
  .flatMap((rule) =>
    readdirSync(join(rulesDir, rule))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.after.ts'))
      .sort()
      .map((name) => ({
        rule,
        name,
        dir: join(rulesDir, rule),
        path: `/project/src/${rule}/${name}`,
        text: readFileSync(join(rulesDir, rule, name), 'utf8'),
      })),
  );

describe('rule fixtures', () => {
  // One in-memory project for every case: one program, one checker.
  let analyzer: FoxAnalyzer;
  before(() => {
    analyzer = FoxAnalyzer.inMemory({
      '/project/package.json': '{ "name": "fixture", "type": "module" }',
      ...Object.fromEntries(cases.map((c) => [c.path, c.text])),
    });
  });

  for (const c of cases) {
    it(`${c.rule} ${c.name.replace(/\.ts$/, '')}`, () => {
      const { rule, name, dir, path, text } = c;
      const header = /^\/\/ expect (FOX\d{3}): (.*)$/.exec(text.split('\n')[0] ?? '');
      assert.ok(header, `${name}: first line must be "// expect ${rule}: <lines>|none"`);
      assert.equal(header[1], rule);
      const entries = header[2]!.trim() === 'none' ? [] : header[2]!.split(',');
      const expected = entries.map((e) => e.trim().split(':'));
      const findings = analyzer.analyzeFile(path).findings.filter((f) => f.rule === rule);
      assert.deepEqual(
        findings.map((f, i) => (expected[i]?.[1] ? [`${f.line}`, f.confidence] : [`${f.line}`])),
        expected,
        `${name}: reported lines\n${findings.map((f) => `  ${f.line} (${f.confidence}): ${f.message}`).join('\n')}`,
      );
      const afterPath = join(dir, name.replace(/\.ts$/, '.after.ts'));
      const fix = (findings.find((f) => f.confidence === 'certain') ?? findings[0])?.fixes[0];
      if (process.env.UPDATE_FIXTURES && fix) writeFileSync(afterPath, applyEdits(text, fix.edits));
      if (existsSync(afterPath)) {
        assert.ok(fix, `${name}: expected a quick fix`);
        assert.equal(fix.path, path);
        assert.equal(applyEdits(text, fix.edits), readFileSync(afterPath, 'utf8'));
      }
    });
  }
});
