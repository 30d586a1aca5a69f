import { readFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TraceMap, originalPositionFor, sourceContentFor } from '@jridgewell/trace-mapping';

/** A position in the user's original source (after source maps), 1-based line and column. */
export interface SourceLocation {
  /** Absolute path of the original source file. */
  file: string;
  line: number;
  column: number;
  /** URL or path of the module that actually ran (the compiled file when there is one). */
  runtimeFile: string;
}

const SDK_DIR = sdkRoot();

/**
 * Where the user called into Fox: the first stack frame outside the sdk, mapped through source
 * maps (Node's own cache when source maps are enabled, as under tsx or --enable-source-maps;
 * otherwise the `sourceMappingURL` comment of the compiled file).
 */
export function captureCallSite(skip: (...args: never[]) => unknown): SourceLocation | undefined {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    Error.captureStackTrace(holder, skip);
    void holder.stack; // prepareStackTrace runs lazily on first access
  } finally {
    Error.prepareStackTrace = previous;
    Error.stackTraceLimit = previousLimit;
  }
  const sites = holder.stack;
  if (!Array.isArray(sites)) return undefined;
  for (const site of sites) {
    const name = site.getFileName() ?? site.getScriptNameOrSourceURL();
    if (!name || name.startsWith('node:') || isInsideSdk(name)) continue;
    const line = site.getLineNumber() ?? 1;
    const column = site.getColumnNumber() ?? 1;
    return mapToOriginal(name, line, column);
  }
  return undefined;
}

/** Maps a runtime position (1-based) to the original source position. */
export function mapToOriginal(runtimeFile: string, line: number, column: number): SourceLocation {
  const path = toPath(runtimeFile);
  const fromNode = viaNodeSourceMap(runtimeFile, path, line, column);
  if (fromNode) return fromNode;
  const fromComment = path ? viaSourceMappingComment(runtimeFile, path, line, column) : undefined;
  return fromComment ?? { file: path ?? runtimeFile, line, column, runtimeFile };
}

function viaNodeSourceMap(
  runtimeFile: string,
  path: string | undefined,
  line: number,
  column: number,
): SourceLocation | undefined {
  let map: ReturnType<typeof findSourceMap> | undefined;
  try {
    map = findSourceMap(runtimeFile) ?? (path ? findSourceMap(path) : undefined);
  } catch {
    return undefined;
  }
  if (!map) return undefined;
  const entry = map.findEntry(line - 1, column - 1) as Partial<{
    originalSource: string;
    originalLine: number;
    originalColumn: number;
  }>;
  if (!entry || typeof entry.originalSource !== 'string' || entry.originalLine === undefined) {
    return undefined;
  }
  return {
    file: resolveSource(entry.originalSource, path),
    line: entry.originalLine + 1,
    column: (entry.originalColumn ?? 0) + 1,
    runtimeFile,
  };
}

const traceMaps = new Map<string, { map: TraceMap; dir: string } | null>();

function viaSourceMappingComment(
  runtimeFile: string,
  path: string,
  line: number,
  column: number,
): SourceLocation | undefined {
  const loaded = loadTraceMap(path);
  if (!loaded) return undefined;
  const pos = originalPositionFor(loaded.map, { line, column: column - 1 });
  if (pos.source === null || pos.line === null) return undefined;
  return {
    file: resolveSource(pos.source, path),
    line: pos.line,
    column: (pos.column ?? 0) + 1,
    runtimeFile,
  };
}

function loadTraceMap(path: string): { map: TraceMap; dir: string } | undefined {
  const cached = traceMaps.get(path);
  if (cached !== undefined) return cached ?? undefined;
  let result: { map: TraceMap; dir: string } | null = null;
  try {
    const code = readFileSync(path, 'utf8');
    const match = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(code.slice(-100_000));
    if (match) {
      const url = match[1]!;
      const json = url.startsWith('data:')
        ? Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8')
        : readFileSync(resolve(dirname(path), decodeURIComponent(url)), 'utf8');
      result = { map: new TraceMap(json, pathToFileURL(path).href), dir: dirname(path) };
    }
  } catch {
    result = null; // unreadable file or map: fall back to the runtime position
  }
  traceMaps.set(path, result);
  return result ?? undefined;
}

/** The original source text for a file, from disk or from the source map's `sourcesContent`. */
export function readOriginalSource(location: SourceLocation): string | undefined {
  try {
    return readFileSync(location.file, 'utf8');
  } catch {
    const path = toPath(location.runtimeFile);
    const loaded = path ? loadTraceMap(path) : undefined;
    if (!loaded) return undefined;
    const url = pathToFileURL(location.file).href;
    return sourceContentFor(loaded.map, url) ?? undefined;
  }
}

function resolveSource(source: string, runtimePath: string | undefined): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  if (isAbsolute(source)) return source;
  return runtimePath ? resolve(dirname(runtimePath), source) : source;
}

function toPath(file: string): string | undefined {
  if (file.startsWith('file:')) {
    try {
      return fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(file) ? file : undefined;
}

/** Whether a runtime file (path or file: URL) is one of the sdk's own modules. */
export function isInsideSdk(file: string): boolean {
  const path = toPath(file) ?? file;
  return SDK_DIR !== undefined && path.startsWith(SDK_DIR);
}

/**
 * The sdk's own folder, so its frames are skipped: `src/` when running from sources, `dist/`
 * when bundled. Both sit directly under the package folder.
 */
function sdkRoot(): string | undefined {
  const self = captureOwnFile();
  if (!self) return undefined;
  // <pkg>/src/task/call-site.ts or <pkg>/dist/index.js: the frame sits below src/ or dist/.
  // Take the last such folder: the user's project may itself live under a `src/` folder.
  let end = -1;
  for (const m of self.matchAll(/[\\/](src|dist)[\\/]/g)) end = m.index + m[0].length;
  return end < 0 ? dirname(self) : self.slice(0, end);
}

function captureOwnFile(): string | undefined {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    Error.captureStackTrace(holder);
    const site = holder.stack?.[0];
    const name = site?.getFileName();
    return name ? toPath(name) : undefined;
  } finally {
    Error.prepareStackTrace = previous;
  }
}
