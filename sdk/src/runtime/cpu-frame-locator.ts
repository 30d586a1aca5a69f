import { isAbsolute } from 'node:path';
import type { FunctionLocation, ProfileNodeLike } from '../telemetry/cpu-profile-aggregate.js';
import { isInsideSdk, mapToOriginal } from '../task/call-site.js';

/** Distinct frames remembered before the cache starts over (a bound, not a tuning knob). */
const MAX_CACHED_FRAMES = 50_000;

/**
 * Builds the CPU sampler's `locate`: maps a V8 call frame (script URL, 0-based line and column
 * of the function) through source maps to the original file and position — Node's source-map
 * cache under tsx or `--enable-source-maps`, else the compiled file's `sourceMappingURL` (the
 * same mapping task ids use, see call-site.ts) — and names the file as task ids do
 * (`relativePath`, the nearest-package.json rule), so the language server can find the function
 * at (file, line). Frames that are not the project's own are dropped: `node:` internals, code
 * without a file, anything under `node_modules` (before or after mapping), and the sdk itself.
 */
export function createCpuFrameLocator(
  relativePath: (file: string) => string,
): (frame: ProfileNodeLike['callFrame']) => FunctionLocation | undefined {
  const cache = new Map<string, FunctionLocation | null>();
  return (frame) => {
    const key = `${frame.url}\n${frame.lineNumber}\n${frame.columnNumber}\n${frame.functionName}`;
    const known = cache.get(key);
    if (known !== undefined) return known ?? undefined;
    if (cache.size >= MAX_CACHED_FRAMES) cache.clear();
    const located = locateFrame(frame, relativePath);
    cache.set(key, located ?? null);
    return located;
  };
}

function locateFrame(
  frame: ProfileNodeLike['callFrame'],
  relativePath: (file: string) => string,
): FunctionLocation | undefined {
  const url = frame.url;
  if (!isProjectCandidate(url) || frame.lineNumber < 0 || isInsideSdk(url)) return undefined;
  const original = mapToOriginal(url, frame.lineNumber + 1, Math.max(0, frame.columnNumber) + 1);
  // A bundle that carries the sdk maps back to the sdk's sources: not the project's either.
  if (!isAbsolute(original.file) || isDependency(original.file) || isInsideSdk(original.file)) {
    return undefined;
  }
  return {
    file: relativePath(original.file),
    line: original.line,
    column: original.column,
    name: frame.functionName === '' ? '(anonymous)' : frame.functionName,
  };
}

/** A script that can be the project's: a file (URL or absolute path) outside node_modules. */
function isProjectCandidate(url: string): boolean {
  if (url.startsWith('file:')) return !isDependency(url);
  return isAbsolute(url) && !isDependency(url);
}

function isDependency(path: string): boolean {
  return /[\\/]node_modules[\\/]/.test(path);
}
