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

/**
 * A glob as a RegExp over `/`-separated relative paths: `**` spans folders (and `**\/` may match
 * none), `*` and `?` stay within one segment, `{a,b}` is alternation. Enough for path
 * conventions; no dependency for it (Node 20 has no `path.matchesGlob`).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      depth++;
      re += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (ch === ',' && depth > 0) re += '|';
    else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Matches relative paths against the default test globs plus `extra`. */
export function testFileMatcher(extra: readonly string[] = []): (file: string) => boolean {
  const patterns = [...DEFAULT_TEST_GLOBS, ...extra].map(globToRegExp);
  return (file) => patterns.some((p) => p.test(file.replace(/^\.\//, '')));
}
