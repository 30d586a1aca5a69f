import { dirname } from 'node:path';
import { ts } from 'ts-morph';
import { ProjectLoadError } from './project-load-error.js';

/** The files of a tsconfig and of every project it references, transitively. */
export interface TsconfigProjects {
  /** Absolute paths of the tsconfigs that contributed files, in reference order. */
  projects: string[];
  /** Absolute file paths, each once. */
  files: string[];
  /** Compiler options for the one ts-morph project that holds all the files. */
  options: ts.CompilerOptions;
}

/** "No inputs were found": expected of a solution-style root (`files: []` plus `references`). */
const NO_INPUTS = 18003;

/**
 * Loads `tsconfigPath` and follows its `references`, as `tsc -b` would, so a solution-style root
 * (only references) yields its projects' files instead of none. A file shared by two projects is
 * listed once. Throws ProjectLoadError for a missing or unparsable tsconfig.
 */
export function loadTsconfigProjects(tsconfigPath: string): TsconfigProjects {
  const seen = new Set<string>();
  const files = new Set<string>();
  const projects: string[] = [];
  let options: ts.CompilerOptions | undefined;
  const load = (path: string, referencedFrom?: string): void => {
    if (seen.has(path)) return; // references may form a diamond or a cycle
    seen.add(path);
    if (!ts.sys.fileExists(path)) {
      throw new ProjectLoadError(
        path,
        referencedFrom ? `referenced from ${referencedFrom}, does not exist` : 'does not exist',
      );
    }
    const read = ts.readConfigFile(path, (p) => ts.sys.readFile(p));
    if (read.error) throw new ProjectLoadError(path, flatten(read.error));
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(path), {}, path);
    const fatal = parsed.errors.find((d) => d.code !== NO_INPUTS);
    if (fatal) throw new ProjectLoadError(path, flatten(fatal));
    if (parsed.fileNames.length) {
      projects.push(path);
      // One program holds every file; the first project with files lends it its options
      // (a solution root's own options are usually only `composite`).
      options ??= parsed.options;
      for (const f of parsed.fileNames) files.add(f);
    }
    for (const ref of parsed.projectReferences ?? [])
      load(ts.resolveProjectReferencePath(ref), path);
  };
  load(tsconfigPath);
  return { projects, files: [...files], options: options ?? {} };
}

const flatten = (d: ts.Diagnostic): string => ts.flattenDiagnosticMessageText(d.messageText, '\n');
