import { globToRegexBody } from './glob.js';

/**
 * Test code by path convention: findings there are about code that never serves production
 * traffic, so they drop to `possible` (hints by default). Globs are matched against the path
 * relative to the project root; the config's `testGlobs` add to these.
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

/** Matches relative paths against the default test globs plus `extra`. */
export function testFileMatcher(extra: readonly string[] = []): (file: string) => boolean {
  const patterns = [...DEFAULT_TEST_GLOBS, ...extra].map(globToRegExp);
  return (file) => patterns.some((p) => p.test(file.replace(/^\.\//, '')));
}
