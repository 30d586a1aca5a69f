import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processSlot } from '../../state/process-state.js';
import type { SourceLocation } from '../../task/call-site.js';

/** What fox.ts knows about a task's function that a worker needs (set at decoration). */
export interface WorkerTarget {
  /** Export path to fall back on: `['resize']` or `['Images', 'resize']`. */
  names: string[];
  /** Undefined when the function can run in a worker; otherwise why it cannot. */
  ineligible?: string;
}

export const WORKER_TARGET: unique symbol = Symbol.for('fox.tfox.target');

/** `file:line:column`: how the worker's copy of fox records the function it decorated. */
export function locationKey(location: SourceLocation | undefined): string {
  return location ? `${location.file}:${location.line}:${location.column}` : '';
}

/** A `file:` URL for the module to import (accepts `import.meta.url`, `__filename`, a path). */
export function toModuleUrl(spec: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec;
  return pathToFileURL(resolve(spec)).href;
}

/** Modules already warned about, for the whole process (every copy of the sdk). */
const warnedEntry = processSlot('tfox.entry-warnings.v1', () => new Set<string>());

/**
 * Warns once per module when a tfox task lives in the entry script: every worker imports that
 * module, so its top-level code (servers, timers, output) runs again in every worker. Returns
 * whether it does (the pool then does not import it ahead of a call).
 */
export function warnIfEntryScript(moduleUrl: string, taskId: string): boolean {
  const main = process.argv[1];
  if (!main) return false;
  if (warnedEntry.has(moduleUrl)) return true;
  let mainUrl: string;
  try {
    mainUrl = pathToFileURL(realpathSync(resolve(main))).href;
  } catch {
    return false;
  }
  let moduleReal = moduleUrl;
  try {
    if (moduleUrl.startsWith('file:'))
      moduleReal = pathToFileURL(realpathSync(fileURLToPath(moduleUrl))).href;
  } catch {
    // keep as is
  }
  if (moduleReal !== mainUrl) return false;
  warnedEntry.add(moduleUrl);
  process.emitWarning(
    `tfox task ${taskId} is defined in the entry script ${main}. Each worker imports that module ` +
      'to find the function, so its top-level code runs again in every worker. Move tfox tasks ' +
      'to a module of their own.',
    { code: 'FOX_TFOX_ENTRY_SCRIPT' },
  );
  return true;
}

/** For tests. */
export function resetEntryWarnings(): void {
  warnedEntry.clear();
}

/**
 * When this process runs TypeScript through tsx, the URL of `tsx/esm/api` for workers to
 * `register()`: on Node 20 a worker inherits tsx's flags but `import()` of a `.ts` file in it
 * fails with ERR_UNKNOWN_FILE_EXTENSION until the worker registers tsx itself.
 */
export function detectTsxApi(): string | undefined {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const hit = flags.find((f) => /(^|[\\/=@])tsx([\\/@]|$)/.test(f));
  if (!hit) return undefined;
  const path = hit.replace(/^--?[a-z-]+=/, '').replace(/^file:\/\//, '');
  const at = path.lastIndexOf(`node_modules/tsx/`);
  const candidates: string[] = [];
  if (at >= 0)
    candidates.push(join(path.slice(0, at + 'node_modules/tsx/'.length), 'dist/esm/api/index.mjs'));
  for (const base of [process.cwd(), dirname(process.argv[1] ?? process.cwd())]) {
    try {
      const pkg = createRequire(join(base, 'noop.js')).resolve('tsx/package.json');
      candidates.push(join(dirname(pkg), 'dist/esm/api/index.mjs'));
    } catch {
      // not resolvable from here
    }
  }
  const found = candidates.find((c) => existsSync(c));
  return found ? pathToFileURL(found).href : undefined;
}
