import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { NOTHING_IGNORED, parseGitignore, type IgnoreMatcher } from './gitignore.js';

/** Folders never analysed, whatever `.gitignore` says. */
const PRUNED_DIRS = new Set(['node_modules', 'dist', '.fox', '.git']);
const SOURCE = /\.(ts|tsx|mts|cts)$/;
const DECLARATION = /\.d\.[mc]?ts$/;

export interface FolderSourcesOptions {
  /** Lists one folder (tests count the folders read). */
  readDir?: (path: string) => Dirent[];
  /** Ask git for the file list when the folder is in a work tree (default true). */
  useGit?: boolean;
}

const isSource = (rel: string): boolean =>
  SOURCE.test(rel) && !DECLARATION.test(rel) && !rel.split('/').some((s) => PRUNED_DIRS.has(s));

/**
 * The TypeScript sources of a folder without a tsconfig: git's own list when the folder is in a
 * work tree (tracked plus untracked-but-not-ignored, so every `.gitignore` applies), else a walk
 * that honours the folder's `.gitignore`. Either way `node_modules`, `dist` and `.fox` are never
 * entered — a glob with `!**\/node_modules/**` still reads them, which tripled the CPU time.
 */
export function listFolderSources(dir: string, options: FolderSourcesOptions = {}): string[] {
  const fromGit = options.useGit === false ? undefined : gitSources(dir);
  // An empty list from git (say, the folder itself is ignored) falls back to the walk.
  if (fromGit?.length) return fromGit;
  return walkSources(dir, readGitignore(dir), options.readDir ?? readDirents);
}

function gitSources(dir: string): string[] | undefined {
  const excludes = [...PRUNED_DIRS].map((d) => `--exclude=${d}/`);
  const run = spawnSync(
    'git',
    ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', ...excludes],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (run.error || run.status !== 0) return undefined;
  return run.stdout
    .split('\0')
    .filter((rel) => rel !== '' && isSource(rel))
    .map((rel) => join(dir, rel))
    .filter((abs) => existsSync(abs)); // tracked but deleted in the work tree
}

function readGitignore(dir: string): IgnoreMatcher {
  const path = join(dir, '.gitignore');
  return existsSync(path) ? parseGitignore(readFileSync(path, 'utf8')) : NOTHING_IGNORED;
}

const readDirents = (path: string): Dirent[] => readdirSync(path, { withFileTypes: true });

function walkSources(
  root: string,
  ignored: IgnoreMatcher,
  readDir: (p: string) => Dirent[],
): string[] {
  const out: string[] = [];
  const visit = (abs: string, rel: string): void => {
    for (const entry of readDir(abs)) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      // Symlinked folders are not followed: they can loop, and they usually point outside.
      if (entry.isDirectory()) {
        if (!PRUNED_DIRS.has(entry.name) && !ignored(childRel, true))
          visit(join(abs, entry.name), childRel);
      } else if (entry.isFile() && isSource(childRel) && !ignored(childRel, false)) {
        out.push(join(abs, entry.name));
      }
    }
  };
  visit(root, '');
  return out.sort();
}
