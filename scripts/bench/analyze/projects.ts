import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real-code projects: pinned npm tarballs, unpacked into a cache folder once. */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const benchDir = join(root, 'language-server', 'bench', 'realcode');
export const cacheRoot = process.env.FOX_REALCODE_CACHE ?? join(tmpdir(), 'fox-realcode');

export interface PinnedPackage {
  package: string;
  version: string;
}

export interface Project {
  name: string;
  packages: PinnedPackage[];
  /** Install the packages' runtime dependencies, so imports resolve for the type checker. */
  deps?: boolean;
  kind: string;
}

/** A project on disk. */
export interface Installed {
  project: Project;
  /** Locations (judgement keys) are relative to this folder. */
  base: string;
  /** The folder the analyser is pointed at (a package's src/, or the folder of all packages). */
  analyzeDir: string;
  /** Each package's unpacked folder. */
  packageDirs: string[];
  /** TypeScript sources (not declarations) the analyser and tsc see. */
  files: string[];
}

export function readProjects(): Project[] {
  return (
    JSON.parse(readFileSync(join(benchDir, 'projects.json'), 'utf8')) as { projects: Project[] }
  ).projects;
}

const sanitize = (name: string) => name.replace(/^@/, '').replace(/\//g, '-');

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}): ${r.stderr}`);
  return r.stdout;
}

/** Downloads (once) and unpacks a pinned tarball from the registry; returns its folder. */
function installPackage(dir: string, p: PinnedPackage, deps: boolean): string {
  const pkg = join(dir, sanitize(p.package));
  if (!existsSync(pkg)) {
    const tmp = join(dir, `.tmp-${sanitize(p.package)}`);
    mkdirSync(tmp, { recursive: true });
    const tarball = run('npm', ['pack', `${p.package}@${p.version}`, '--silent'], tmp)
      .trim()
      .split('\n')
      .at(-1)!;
    run('tar', ['xzf', tarball], tmp);
    renameSync(join(tmp, 'package'), pkg);
  }
  if (deps && !existsSync(join(pkg, 'node_modules'))) {
    // Only the runtime dependencies, installed beside the package (its devDependencies may not
    // resolve), then linked in as its node_modules. A failure leaves the package without them.
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const depsDir = join(dir, `.deps-${sanitize(p.package)}`);
    mkdirSync(depsDir, { recursive: true });
    writeFileSync(
      join(depsDir, 'package.json'),
      JSON.stringify({ private: true, dependencies: manifest.dependencies ?? {} }),
    );
    try {
      run(
        'npm',
        ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=peer', '--silent'],
        depsDir,
      );
      mkdirSync(join(depsDir, 'node_modules'), { recursive: true });
      symlinkSync(join(depsDir, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    } catch (err) {
      console.error(`dependencies of ${p.package}@${p.version} not installed: ${String(err)}`);
    }
  }
  return pkg;
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const DECLARATION = /\.d\.[mc]?ts$/;

function listSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => SOURCE.test(f) && !DECLARATION.test(f) && !/(^|\/)node_modules\//.test(f))
    .map((f) => join(dir, f))
    .sort();
}

export function install(project: Project): Installed {
  const dir = join(cacheRoot, project.name);
  mkdirSync(dir, { recursive: true });
  const packageDirs = project.packages.map((p) => installPackage(dir, p, project.deps ?? false));
  const single = packageDirs.length === 1;
  const base = single ? packageDirs[0]! : dir;
  const analyzeDir = single ? join(base, 'src') : dir;
  const files = packageDirs.flatMap((p) => listSources(join(p, 'src')));
  return { project, base, analyzeDir, packageDirs, files };
}

/** A judgement location: path relative to the project base, line and column (1-based). */
export function locate(inst: Installed, path: string, line: number, column: number): string {
  return `${relative(inst.base, path)}:${line}:${column}`;
}
