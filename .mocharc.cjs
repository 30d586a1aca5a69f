// One mocha run for every package. TypeScript runs through tsx; the `source` export condition
// makes `@fox/sdk` resolve to its TypeScript sources, so tests never run against stale builds.
module.exports = {
  'node-option': ['import=tsx', 'conditions=source'],
  spec: [
    'sdk/test/**/*.test.ts',
    'language-server/test/**/*.test.ts',
    'profiler/test/**/*.test.ts',
    'extension/test/unit/**/*.test.ts',
    'samples/*/test/**/*.test.ts',
  ],
  reporter: './scripts/test/summary-reporter.cjs',
  timeout: 30000,
  // A leaked handle must not hang CI; leaks are caught by the tests that check shutdown.
  exit: true,
};
