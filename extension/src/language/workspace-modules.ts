import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/**
 * Where the language server can load `better-sqlite3` from, to read live numbers for hover and
 * code lens from the workspace's `.fox/fox.db`. A .vsix carries no native modules; a workspace
 * that uses Fox has one through its own `@fox/sdk` dependency, built for the Node that runs the
 * project. Returns the `node_modules` folders holding it, one per workspace folder that has it.
 *
 * @example
 * workspaceModuleDirs(['/work/app']); // ['/work/app/node_modules'] when @fox/sdk is installed
 */
export function workspaceModuleDirs(
  folders: readonly string[],
  resolve: ModuleResolver = resolveFrom,
): string[] {
  const dirs = new Set<string>();
  for (const folder of folders) {
    const sdk = resolve(join(folder, 'package.json'), '@fox/sdk/package.json');
    const sqlite = sdk && resolve(sdk, 'better-sqlite3/package.json');
    // …/node_modules/better-sqlite3/package.json → …/node_modules
    if (sqlite) dirs.add(dirname(dirname(sqlite)));
  }
  return [...dirs];
}

/** Resolves `request` as `require` in file `from` would; undefined when it cannot. */
export type ModuleResolver = (from: string, request: string) => string | undefined;

export function resolveFrom(from: string, request: string): string | undefined {
  try {
    return createRequire(from).resolve(request);
  } catch {
    return undefined;
  }
}

/** `dirs` in front of an existing `NODE_PATH` value (kept, so a user's own setting still works). */
export function nodePathWith(dirs: readonly string[], existing: string | undefined): string {
  return [...dirs, ...(existing ? existing.split(delimiter) : [])]
    .filter((d, i, all) => d.length > 0 && all.indexOf(d) === i)
    .join(delimiter);
}
