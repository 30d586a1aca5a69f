import { globToRegexBody } from './glob.js';
import type { TestRunnerPatterns } from './test-runner-config.js';

/**
 * Test code by path convention: findings there are about code that never serves production
 * traffic, so they drop to `possible` (hints by default). Globs are matched against the path
 * relative to the project root; the config's `testGlobs` and the project's test runner config
 * (mocha, jest, vitest: see test-runner-config.ts) add to these.
 */
export const DEFAULT_TEST_GLOBS: readonly string[] = [
  '**/*.{test,spec}.{ts,tsx,mts,cts}',
  '**/__tests__/**',
  '**/__mocks__/**',
  '**/test/**',
  '**/tests/**',
  '**/fixtures/**',
  '**/mocks/**',
];

/** A glob as an anchored RegExp over `/`-separated relative paths (see {@link globToRegexBody}). */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globToRegexBody(glob)}$`);
}

/**
 * Matches relative paths against the default test globs plus `extra`, plus what the project's
 * test runner config runs (`runner`, see {@link readTestRunnerPatterns}).
 */
export function testFileMatcher(
  extra: readonly string[] = [],
  runner?: Pick<TestRunnerPatterns, 'globs' | 'regexes'>,
): (file: string) => boolean {
  const patterns = [...DEFAULT_TEST_GLOBS, ...extra, ...(runner?.globs ?? [])].map(globToRegExp);
  // jest matches testRegex against absolute paths; a leading `/` lets `/__tests__/` match.
  const regexes = (runner?.regexes ?? []).map((r) => new RegExp(r));
  return (file) => {
    const rel = file.replace(/^\.\//, '');
    return patterns.some((p) => p.test(rel)) || regexes.some((r) => r.test(`/${rel}`));
  };
}
