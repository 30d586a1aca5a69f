import { strict as assert } from 'node:assert';
import { AnalysisConfigError, FoxAnalyzer, isAnalysisConfigError } from '../../src/index.js';

const CODE = `export async function get(url: string) {
  return fetch(url);
}
`;

function findings(files: Record<string, string>): { rule: string; severity: string }[] {
  const analyzer = FoxAnalyzer.inMemory({ '/p/src/a.ts': CODE, ...files });
  return analyzer
    .analyzeFile('/p/src/a.ts')
    .findings.map((f) => ({ rule: f.rule, severity: f.severity }));
}

describe('analysis config', () => {
  it('uses default severities without a config', () => {
    assert.deepEqual(findings({ '/p/package.json': '{}' }), [
      { rule: 'FOX002', severity: 'warning' },
    ]);
  });

  it('turns a rule off in fox.config.json', () => {
    assert.deepEqual(
      findings({
        '/p/package.json': '{}',
        '/p/fox.config.json': '{ "rules": { "FOX002": "off" } }',
      }),
      [],
    );
  });

  it('raises a rule to error from package.json#fox, and takes the fix timeout from it', () => {
    const analyzer = FoxAnalyzer.inMemory({
      '/p/src/a.ts': CODE,
      '/p/package.json': '{ "fox": { "rules": { "FOX002": "error" }, "timeoutMs": 1500 } }',
    });
    const [f] = analyzer.analyzeFile('/p/src/a.ts').findings;
    assert.equal(f?.severity, 'error');
    assert.match(f?.fixes[0]?.edits[0]?.newText ?? '', /AbortSignal\.timeout\(1500\)/);
  });

  it('prefers fox.config.json over package.json#fox', () => {
    assert.deepEqual(
      findings({
        '/p/package.json': '{ "fox": { "rules": { "FOX002": "error" } } }',
        '/p/fox.config.json': '{ "rules": { "FOX002": "warn" } }',
      }),
      [{ rule: 'FOX002', severity: 'warning' }],
    );
  });

  it('reports a bad config as an AnalysisConfigError naming the file and the path', () => {
    const analyzer = FoxAnalyzer.inMemory({
      '/p/src/a.ts': CODE,
      '/p/package.json': '{}',
      '/p/fox.config.json': '{ "rules": { "FOX002": "loud", "FOX999": "off" }, "timeoutMs": -1 }',
    });
    assert.throws(
      () => analyzer.analyzeFile('/p/src/a.ts'),
      (e: unknown) => {
        assert.ok(isAnalysisConfigError(e));
        assert.equal(e.code, 'FOX_ANALYSIS_CONFIG');
        assert.match(e.message, /fox\.config\.json/);
        assert.match(e.message, /rules\.FOX002/);
        assert.match(e.message, /timeoutMs/);
        assert.match(e.message, /FOX999/);
        return true;
      },
    );
  });

  it('reports JSON syntax errors as config errors, not crashes', () => {
    const analyzer = FoxAnalyzer.inMemory({ '/p/src/a.ts': CODE, '/p/package.json': '{ "fox": ' });
    assert.throws(() => analyzer.analyzeFile('/p/src/a.ts'), AnalysisConfigError);
  });
});

describe('analysis phases', () => {
  const SRC = `import { fox } from '@fox/sdk';
let hits = 0;
export const t = fox({ mode: 'tfox' }, async function t(url: string) {
  hits++;
  return fetch(url);
});
`;
  const run = (phase: 'syntax' | 'types' | 'all'): string[] =>
    FoxAnalyzer.inMemory({ '/p/package.json': '{}', '/p/src/t.ts': SRC })
      .analyzeFile('/p/src/t.ts', { phase })
      .findings.map((f) => f.rule);

  it('runs only syntax rules in the syntax phase and only type-aware rules in the types phase', () => {
    const syntax = run('syntax');
    const types = run('types');
    assert.deepEqual([...new Set(syntax)].sort(), ['FOX002', 'FOX007']);
    assert.deepEqual([...new Set(types)].sort(), ['FOX006', 'FOX008']);
    assert.deepEqual(run('all').sort(), [...syntax, ...types].sort());
  });
});
