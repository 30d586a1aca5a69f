import { isAbsolute, relative, sep } from 'node:path';

/**
 * The command "Fox: Run with Profiler…" proposes. Pure, so it is tested without VS Code.
 *
 * The active file is rarely the program's entry point, and `node file.ts` fails on Node 20
 * (ERR_UNKNOWN_FILE_EXTENSION): so, in order, the command the user ran last in this workspace,
 * the package's `start` script, its `main` entry, the active file — a TypeScript file through
 * tsx, JavaScript through node — and else `npm start`.
 */
export interface RunCommandInput {
  /** What the user ran last time in this workspace (kept in its workspaceState). */
  remembered?: string | undefined;
  /** The text of the folder's package.json, if it has one. */
  packageJson?: string | undefined;
  /** The active editor's file: relative to the folder (forward slashes) when inside it. */
  activeFile?: string | undefined;
}

/** The workspaceState key of the last command run with the profiler. */
export const LAST_RUN_COMMAND_KEY = 'fox.runWithProfiler.lastCommand';

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;
const JAVASCRIPT = /\.(?:js|mjs|cjs)$/;

export function defaultRunCommand(input: RunCommandInput): string {
  if (input.remembered?.trim()) return input.remembered;
  const pkg = parsePackage(input.packageJson);
  if (typeof pkg.scripts?.['start'] === 'string') return 'npm start';
  for (const entry of [pkg.main, input.activeFile]) {
    if (typeof entry !== 'string') continue;
    if (TYPESCRIPT.test(entry)) return `npx tsx ${shellWord(entry)}`;
    if (JAVASCRIPT.test(entry)) return `node ${shellWord(entry)}`;
  }
  return 'npm start';
}

interface PackageFields {
  scripts?: Record<string, unknown>;
  main?: unknown;
}

function parsePackage(text: string | undefined): PackageFields {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return {};
    const { scripts, main } = value as Record<string, unknown>;
    return {
      ...(typeof scripts === 'object' && scripts !== null
        ? { scripts: scripts as Record<string, unknown> }
        : {}),
      main,
    };
  } catch {
    return {};
  }
}

/** A path as one word of a shell command line: quoted only when it needs to be. */
export function shellWord(path: string): string {
  return /^[\w./@+:-]+$/.test(path) ? path : JSON.stringify(path);
}

/** `file` relative to `folder` with forward slashes; as it is when outside it or no folder. */
export function folderRelative(folder: string | undefined, file: string): string {
  if (folder === undefined) return file;
  const rel = relative(folder, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}
