import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CliIo } from '../../src/index.js';

/** A folder on disk holding `files` (relative path → text); `remove()` deletes it. */
export function tempProject(files: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fox-analyze-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** CLI output captured in memory. */
export function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

/** A function FOX002 reports (fetch without a timeout), so each analysed file shows up. */
export const untimedFetch = (name: string): string =>
  `export async function ${name}(url: string) {\n  return fetch(url);\n}\n`;
