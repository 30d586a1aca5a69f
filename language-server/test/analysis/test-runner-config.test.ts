import { strict as assert } from 'node:assert';
import { normaliseGlob, readTestRunnerPatterns } from '../../src/analysis/test-runner-config.js';
import { FoxAnalyzer, testFileMatcher } from '../../src/index.js';

/** Patterns read from an in-memory root `/r` holding `files`. */
function patterns(files: Record<string, string>) {
  return readTestRunnerPatterns('/r', (p) => files[p.replace(/^\/r\//, '')]);
}

describe('test runner config', () => {
  it('reads mocha spec from .mocharc.json (with comments), .mocharc.yml and package.json#mocha', () => {
    assert.deepEqual(
      patterns({ '.mocharc.json': '{ // specs\n "spec": ["./spec/**/*.ts"], }' }).globs,
      ['spec/**/*.ts'],
    );
    assert.deepEqual(
      patterns({ '.mocharc.yml': 'require: tsx\nspec:\n  - "e2e/**/*.e2e.ts"\n  - checks\n' })
        .globs,
      ['e2e/**/*.e2e.ts', 'checks/**'],
    );
    assert.deepEqual(patterns({ '.mocharc.yaml': "spec: 'it/*.ts' # one\n" }).globs, ['it/*.ts']);
    assert.deepEqual(
      patterns({ 'package.json': '{ "mocha": { "spec": "verify/**/*.ts" } }' }).globs,
      ['verify/**/*.ts'],
    );
  });

  it('reads jest testMatch and testRegex statically from jest.config.* and package.json#jest', () => {
    const js = patterns({
      'jest.config.js': `const base = require('./base');
module.exports = { ...base, testMatch: ['<rootDir>/checks/**/*.check.ts', '!**/skip/**'], testRegex: /\\.itest\\.ts$/ };`,
    });
    assert.deepEqual(js.globs, ['checks/**/*.check.ts']);
    assert.deepEqual(js.regexes, ['\\.itest\\.ts$']);
    assert.deepEqual(js.sources, ['jest.config.js']);
    const pkg = patterns({ 'package.json': '{ "jest": { "testRegex": "/specs/.*\\\\.ts$" } }' });
    assert.deepEqual(pkg.regexes, ['/specs/.*\\.ts$']);
  });

  it('reads vitest test.include, and only under test', () => {
    const found = patterns({
      'vitest.config.ts': `import { defineConfig } from 'vitest/config';
export default defineConfig({ build: { include: ['not-tests/**'] }, test: { include: ['src/**/*.check.ts'] } });`,
    });
    assert.deepEqual(found.globs, ['src/**/*.check.ts']);
  });

  it('finds nothing without a runner config, and ignores patterns built at run time', () => {
    assert.deepEqual(patterns({}), { globs: [], regexes: [], sources: [] });
    assert.deepEqual(
      patterns({ 'jest.config.ts': 'export default { testMatch: [process.env.T!] };' }).sources,
      [],
    );
  });

  it("translates jest's extglobs and letter classes", () => {
    assert.deepEqual(normaliseGlob('**/?(*.)+(spec|test).[jt]s?(x)'), [
      '**/{,*.}{spec,test}.{j,t}s{,x}',
    ]);
    const isTest = testFileMatcher([], {
      globs: normaliseGlob('**/?(*.)+(spec|test).[jt]s?(x)'),
      regexes: [],
    });
    assert.equal(isTest('src/a.check.ts'), false);
    assert.equal(isTest('src/checks.ts'), false);
    const custom = testFileMatcher([], {
      globs: normaliseGlob('**/*.check.[jt]s?(x)'),
      regexes: [],
    });
    assert.equal(custom('src/a.check.tsx'), true);
    assert.equal(custom('src/a.check.ts'), true);
    assert.equal(custom('src/a.ts'), false);
  });

  it('makes findings in files the runner runs test-code hints', () => {
    const CERTAIN = `export async function load(url: string) {\n  return fetch(url);\n}\n`;
    const result = FoxAnalyzer.inMemory({
      '/p/package.json': '{ "name": "p", "jest": { "testRegex": "\\\\.itest\\\\.ts$" } }',
      '/p/.mocharc.json': '{ "spec": ["checks/**/*.ts"] }',
      '/p/checks/load.ts': CERTAIN,
      '/p/src/load.itest.ts': CERTAIN,
      '/p/src/load.ts': CERTAIN,
    }).analyzeAll();
    assert.deepEqual(result.findings.map((f) => `${f.file} ${f.confidence} ${f.severity}`).sort(), [
      'checks/load.ts possible hint',
      'src/load.itest.ts possible hint',
      'src/load.ts certain warning',
    ]);
  });
});
