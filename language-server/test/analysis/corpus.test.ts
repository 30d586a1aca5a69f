import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { FoxAnalyzer, applyEdits, type AnalysisResult } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '..', 'fixtures', 'corpus');

describe('labeled corpus', function () {
  this.timeout(60_000);
  let result: AnalysisResult;
  before(() => {
    result = FoxAnalyzer.fromDirectory(corpus).analyzeAll();
  });

  it('classifies at least 95% of the labeled functions as labeled', () => {
    let total = 0;
    const misses: string[] = [];
    for (const file of result.files) {
      readFileSync(file.path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const m = /\/\/ expect: (cpu|io|mixed|light)\b/.exec(line);
          if (!m) return;
          total++;
          const fn = file.functions
            .filter((f) => f.line > i + 1)
            .sort((a, b) => a.line - b.line)[0];
          if (fn?.kind !== m[1]) misses.push(`${fn?.id}: expected ${m[1]}, got ${fn?.kind}`);
        });
    }
    assert.ok(total >= 60, `corpus has ${total} labeled functions`);
    assert.ok((total - misses.length) / total >= 0.95, misses.join('\n'));
  });

  it('reports nothing on the clean code', () => {
    const findings = result.findings.filter((f) => f.file.startsWith('clean/'));
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
      [],
    );
  });

  it('every quick fix applies cleanly: no overlapping edits, result still parses', () => {
    let fixes = 0;
    for (const f of result.findings) {
      const text = readFileSync(f.path, 'utf8');
      for (const fix of f.fixes) {
        fixes++;
        const after = applyEdits(text, fix.edits);
        const sf = ts.createSourceFile(f.path, after, ts.ScriptTarget.ES2022, true);
        const diagnostics = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] })
          .parseDiagnostics;
        assert.deepEqual(
          diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
          [],
          `${f.rule} fix "${fix.title}" in ${f.file}`,
        );
        // Minimal edits: the fix touches far less than the file.
        const replaced = fix.edits.reduce((n, e) => n + e.newText.length, 0);
        assert.ok(replaced < text.length / 2, `${fix.title} rewrites too much`);
      }
    }
    assert.ok(fixes >= 10, `only ${fixes} fixes exercised`);
  });
});
