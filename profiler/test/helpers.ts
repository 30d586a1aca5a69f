import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');

/** Polls `check` every 10 ms until it returns true. */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'fox-profiler-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a TypeScript fixture with tsx and the `source` condition, like the tests themselves. */
export function spawnFixture(
  name: string,
  env: Record<string, string>,
  { coverage = true }: { coverage?: boolean } = {},
): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // A program whose CPU profile is asserted runs without V8 coverage (c8's NODE_V8_COVERAGE):
  // under it the sampler keeps code optimised before it started, attributed to callers.
  if (!coverage) delete childEnv['NODE_V8_COVERAGE'];
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', join(here, 'fixtures', name)],
    { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** The first stdout line of a child, parsed as JSON. */
export function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += String(d);
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as T);
        } catch (err) {
          reject(err as Error);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before printing`)));
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
