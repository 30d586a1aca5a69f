import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Throw-away user projects for the consumer tests: the built @fox/sdk linked into a fresh
 * folder, run in its own process without the test runner's options (tsx, the `source`
 * condition), so the tests exercise `dist/` exactly as a user installs it.
 */

export const run = promisify(execFile);
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const sdkDir = join(repo, 'sdk');
export const tsc = join(repo, 'node_modules/typescript/bin/tsc');
export const tsxLoader = join(repo, 'node_modules/tsx/dist/loader.mjs');

/** Creates a project with `package.json` fields `pkg` and the given files; returns its folder. */
export function makeProject(pkg: object, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fox-consumer-'));
  mkdirSync(join(dir, 'node_modules', '@fox'), { recursive: true });
  symlinkSync(sdkDir, join(dir, 'node_modules', '@fox', 'sdk'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, ...pkg }),
  );
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Runs node in `dir` (with `env` added) and parses the last line it prints as JSON. */
export async function runNode<T = unknown>(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const { stdout } = await run(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

/** A tsconfig for `src/` → `dist/` with source maps, in either decorator flavour. */
export function tsconfigFor(decorators: 'standard' | 'legacy'): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      outDir: 'dist',
      rootDir: 'src',
      sourceMap: true,
      skipLibCheck: true,
      experimentalDecorators: decorators === 'legacy',
    },
    include: ['src'],
  });
}

/** Fails early with a clear message when the sdk has not been built. */
export function requireBuiltSdk(): void {
  if (
    !existsSync(join(sdkDir, 'dist', 'index.js')) ||
    !existsSync(join(sdkDir, 'dist', 'index.cjs'))
  ) {
    throw new Error('sdk/dist is missing: run `npm run build` (npm test does it first)');
  }
}
