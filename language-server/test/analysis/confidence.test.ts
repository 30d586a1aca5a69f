import { strict as assert } from 'node:assert';
import {
  CONFIDENCES,
  FoxAnalyzer,
  findingSeverity,
  isAnalysisConfigError,
  testFileMatcher,
  type Confidence,
  type RuleSeverity,
  type Severity,
} from '../../src/index.js';

describe('confidence → severity', () => {
  // [configured, confidence, bar, expected]
  const table: [RuleSeverity, Confidence, Confidence, Severity][] = [
    ['warning', 'certain', 'certain', 'warning'],
    ['warning', 'likely', 'certain', 'hint'],
    ['warning', 'possible', 'certain', 'hint'],
    ['warning', 'certain', 'likely', 'warning'],
    ['warning', 'likely', 'likely', 'warning'],
    ['warning', 'possible', 'likely', 'hint'],
    ['warning', 'certain', 'possible', 'warning'],
    ['warning', 'likely', 'possible', 'warning'],
    ['warning', 'possible', 'possible', 'warning'],
    ['error', 'certain', 'certain', 'error'],
    // An error under the bar is a hint too: a guess must not fail a CI run.
    ['error', 'likely', 'certain', 'hint'],
    ['error', 'possible', 'likely', 'hint'],
    ['error', 'likely', 'likely', 'error'],
    ['error', 'possible', 'possible', 'error'],
  ];
  for (const [configured, confidence, bar, expected] of table) {
    it(`${configured} × ${confidence} under bar ${bar} → ${expected}`, () => {
      assert.equal(findingSeverity(configured, confidence, bar), expected);
    });
  }

  it('orders the confidences from most to least sure', () => {
    assert.deepEqual(CONFIDENCES, ['certain', 'likely', 'possible']);
  });
});

describe('test files', () => {
  const isTest = testFileMatcher(['src/fakes/**', 'e2e/*.ts']);
  const table: [string, boolean][] = [
    ['src/app.test.ts', true],
    ['src/app.spec.tsx', true],
    ['app.test.mts', true],
    ['src/__tests__/app.ts', true],
    ['src/__mocks__/db.ts', true],
    ['test/app.ts', true],
    ['tests/unit/app.ts', true],
    ['packages/api/test/app.ts', true],
    ['test/fixtures/rules/a.ts', true],
    ['src/mocks/db.ts', true],
    ['src/fakes/db.ts', true],
    ['e2e/login.ts', true],
    ['e2e/deep/login.ts', false],
    ['src/app.ts', false],
    ['src/testing.ts', false],
    ['src/latest/app.ts', false],
    ['src/contest.ts', false],
    ['src/app.test.js.ts', false],
  ];
  for (const [file, expected] of table) {
    it(`${file}: ${expected ? 'test code' : 'production code'}`, () => {
      assert.equal(isTest(file), expected);
    });
  }
});

describe('confidence in findings', () => {
  // A `*Sync` read in an async function: a certain FOX001.
  const CERTAIN = `import { readFileSync } from 'node:fs';
export async function load(p: string) {
  return readFileSync(p, 'utf8');
}
`;
  // Two nested loops over the input: twice the CPU threshold, likely.
  const LIKELY = `export function score(rows: number[][]): number {
  let s = 0;
  for (const r of rows) for (const v of r) s += v * v;
  for (const a of rows) for (const b of a) s -= b * 2;
  return s;
}
`;
  // A tfox task that cannot load in a worker (not exported): a certain FOX006, an error.
  const TASK = `import { fox } from '@fox/sdk';
const t = fox({ mode: 'tfox' }, function t(n: number) {
  return n + 1;
});
void t;
`;
  const run = (
    files: Record<string, string>,
    config?: object,
  ): { at: string; rule: string; severity: string; confidence: string }[] => {
    const analyzer = FoxAnalyzer.inMemory({
      '/p/package.json': '{}',
      ...(config ? { '/p/fox.config.json': JSON.stringify(config) } : {}),
      ...Object.fromEntries(Object.entries(files).map(([f, text]) => [`/p/${f}`, text])),
    });
    return analyzer.analyzeAll().findings.map((f) => ({
      at: `${f.file}:${f.line}`,
      rule: f.rule,
      severity: f.severity,
      confidence: f.confidence,
    }));
  };

  it('keeps a certain finding a warning and makes a likely one a hint', () => {
    assert.deepEqual(run({ 'src/io.ts': CERTAIN, 'src/cpu.ts': LIKELY }), [
      { at: 'src/cpu.ts:1', rule: 'FOX001', severity: 'hint', confidence: 'likely' },
      { at: 'src/io.ts:3', rule: 'FOX001', severity: 'warning', confidence: 'certain' },
    ]);
  });

  it('counts a super-linear regex applied to the input as certain', () => {
    const REGEX = `export function valid(email: string): boolean {
  return /^([a-z0-9]+)+@example\\.com$/.test(email);
}
export function constant(): boolean {
  return /^([a-z0-9]+)+@example\\.com$/.test('a@example.com');
}
`;
    assert.deepEqual(run({ 'src/re.ts': REGEX }), [
      { at: 'src/re.ts:1', rule: 'FOX001', severity: 'warning', confidence: 'certain' },
      { at: 'src/re.ts:4', rule: 'FOX001', severity: 'hint', confidence: 'possible' },
    ]);
  });

  it('drops findings in test code to possible: hints, even a certain one', () => {
    assert.deepEqual(run({ 'test/io.ts': CERTAIN, 'src/cpu.spec.ts': LIKELY }), [
      { at: 'test/io.ts:3', rule: 'FOX001', severity: 'hint', confidence: 'possible' },
      { at: 'src/cpu.spec.ts:1', rule: 'FOX001', severity: 'hint', confidence: 'possible' },
    ]);
  });

  it('treats the testGlobs of the config as test code too', () => {
    assert.deepEqual(run({ 'src/fakes/io.ts': CERTAIN }, { testGlobs: ['src/fakes/**'] }), [
      { at: 'src/fakes/io.ts:3', rule: 'FOX001', severity: 'hint', confidence: 'possible' },
    ]);
  });

  it('keeps a correctness finding (FOX006) an error in test code', () => {
    const fox006 = run({ 'test/task.ts': TASK }).filter((f) => f.rule === 'FOX006');
    assert.deepEqual(fox006, [
      { at: 'test/task.ts:2', rule: 'FOX006', severity: 'error', confidence: 'certain' },
    ]);
  });

  it("minConfidence: 'possible' raises every hint back to its rule's severity", () => {
    const files = { 'src/cpu.ts': LIKELY, 'test/io.ts': CERTAIN };
    assert.deepEqual(
      run(files, { minConfidence: 'possible' }).map((f) => f.severity),
      ['warning', 'warning'],
    );
    // 'likely' lets the likely finding warn; the test-code one stays a hint.
    assert.deepEqual(
      run(files, { minConfidence: 'likely' }).map((f) => `${f.at} ${f.severity}`),
      ['src/cpu.ts:1 warning', 'test/io.ts:3 hint'],
    );
  });

  it('makes an error-configured rule a hint under the bar', () => {
    assert.deepEqual(run({ 'src/cpu.ts': LIKELY }, { rules: { FOX001: 'error' } }), [
      { at: 'src/cpu.ts:1', rule: 'FOX001', severity: 'hint', confidence: 'likely' },
    ]);
  });

  it('rejects an unknown minConfidence with a config error naming the option', () => {
    assert.throws(
      () => run({ 'src/io.ts': CERTAIN }, { minConfidence: 'sure', testGlobs: 'test/**' }),
      (e: unknown) => {
        assert.ok(isAnalysisConfigError(e));
        assert.match(e.message, /minConfidence/);
        assert.match(e.message, /testGlobs/);
        return true;
      },
    );
  });
});
