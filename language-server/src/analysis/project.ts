import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Project, ts, type SourceFile } from 'ts-morph';
import { analyzeSourceFile, type AnalysisPhase } from './analyzer.js';
import { ProjectCallGraph } from './call-graph/index.js';
import { tsconfigTargetsBrowser } from './browser-code.js';
import { loadAnalysisConfig, type AnalysisConfig } from './config.js';
import { dedupeFindings } from './dedupe-findings.js';
import { listFolderSources } from './folder-sources.js';
import { loadTsconfigProjects } from './tsconfig-projects.js';
import { resolvePlainFix, resolveTaskFix } from './task-fix/resolve.js';
import type { FileAnalysis, Finding, FunctionReport, QuickFix, ResolvedFix } from './types.js';

/** Everything one run found. */
export interface AnalysisResult {
  files: FileAnalysis[];
  functions: FunctionReport[];
  findings: Finding[];
}

export interface AnalyzeOptions {
  phase?: AnalysisPhase;
  onProgress?: (done: number, total: number, file: string) => void;
  isCancelled?: () => boolean;
}

const SOURCE_EXT = /\.(ts|tsx|mts|cts)$/;
const SKIPPED = /[\\/](node_modules|dist|\.fox)[\\/]|\.d\.[mc]?ts$/;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  experimentalDecorators: false,
};

/** The tsconfig a project was loaded from and the projects (tsconfigs) that gave it files. */
export interface ProjectOrigin {
  /** Absent when the folder had no tsconfig and its files were listed directly. */
  tsconfig?: string;
  projects: string[];
}

/**
 * The analyser over one ts-morph project: the user's tsconfig when the folder has one, else every
 * TypeScript file under the folder. Files can be replaced in memory (the editor's unsaved text).
 * The type checker is only built for type-aware rules, and only when asked.
 */
export class FoxAnalyzer {
  private readonly configs = new Map<string, AnalysisConfig>();
  private readonly roots = new Map<string, string>();
  private readonly browserTsconfigs = new Map<string, boolean>();

  /**
   * Calls between the project's functions, so a caller's classification includes its callees'
   * work. Built lazily from the parsed files a call reaches; a replaced file is summarised again.
   */
  readonly callGraph: ProjectCallGraph;

  constructor(
    readonly project: Project,
    /** Where the files came from (the CLI reports it). */
    readonly origin: ProjectOrigin = { projects: [] },
  ) {
    this.callGraph = new ProjectCallGraph({
      sourceFile: (path) => {
        if (!SOURCE_EXT.test(path) || SKIPPED.test(path)) return undefined;
        return this.project.getSourceFile(path)?.compilerNode;
      },
      relativePath: (path) => toRelative(path, this.rootOf(path)),
    });
  }

  /**
   * A project over `dir`: its `tsconfig.json` (or `tsconfig` when given, which must exist) with
   * every project it references, else the folder's TypeScript files outside ignored folders.
   * Throws ProjectLoadError for a missing or unparsable tsconfig.
   */
  static fromDirectory(dir: string, options: { tsconfig?: string } = {}): FoxAnalyzer {
    const absDir = resolve(dir);
    const tsconfig = options.tsconfig ? resolve(options.tsconfig) : join(absDir, 'tsconfig.json');
    if (options.tsconfig || existsSync(tsconfig)) {
      const loaded = loadTsconfigProjects(tsconfig);
      const project = new Project({
        compilerOptions: loaded.options,
        skipFileDependencyResolution: true,
      });
      for (const file of loaded.files) project.addSourceFileAtPath(file);
      return new FoxAnalyzer(project, { tsconfig, projects: loaded.projects });
    }
    const project = new Project({
      compilerOptions: COMPILER_OPTIONS,
      skipFileDependencyResolution: true,
    });
    for (const file of listFolderSources(absDir)) project.addSourceFileAtPath(file);
    return new FoxAnalyzer(project, { projects: [] });
  }

  /** A project over an in-memory file system (tests): `files` maps absolute paths to text. */
  static inMemory(files: Record<string, string>): FoxAnalyzer {
    const project = new Project({ useInMemoryFileSystem: true, compilerOptions: COMPILER_OPTIONS });
    for (const [path, text] of Object.entries(files)) {
      if (SOURCE_EXT.test(path) && !SKIPPED.test(path))
        project.createSourceFile(path, text, { overwrite: true });
      else project.getFileSystem().writeFileSync(path, text);
    }
    return new FoxAnalyzer(project);
  }

  /** The files the analyser reports on (no declarations, nothing under node_modules or dist). */
  sourceFiles(): SourceFile[] {
    return this.project.getSourceFiles().filter((f) => {
      const path = f.getFilePath();
      if (!SOURCE_EXT.test(path) || SKIPPED.test(path)) return false;
      const root = this.rootOf(path);
      const rel = toRelative(path, root);
      return !this.configFor(root).exclude.some((prefix) => rel.startsWith(prefix));
    });
  }

  /**
   * Project root of a file, as the sdk computes it: the nearest ancestor folder with a
   * package.json, else the file's own folder.
   */
  rootOf(path: string): string {
    const start = dirname(path);
    const fs = this.project.getFileSystem();
    const visited: string[] = [];
    let dir = start;
    let found = start;
    while (true) {
      const cached = this.roots.get(dir);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      visited.push(dir);
      if (fs.fileExistsSync(join(dir, 'package.json'))) {
        found = dir;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    for (const d of visited) this.roots.set(d, found);
    return found;
  }

  /** Config of a project root (cached). Throws AnalysisConfigError for a bad file. */
  configFor(root: string): AnalysisConfig {
    let config = this.configs.get(root);
    if (!config) {
      const fs = this.project.getFileSystem();
      config = loadAnalysisConfig(root, (p) =>
        fs.fileExistsSync(p) ? fs.readFileSync(p) : undefined,
      );
      this.configs.set(root, config);
    }
    return config;
  }

  /** Forgets cached configs (after fox.config.json or package.json changed). */
  reloadConfig(): void {
    this.configs.clear();
    this.roots.clear();
    this.browserTsconfigs.clear();
  }

  /**
   * Does the nearest `tsconfig.json` above `path` (up to its project root) target the browser?
   * See `tsconfigTargetsBrowser`; cached per folder.
   */
  inBrowserTsconfig(path: string): boolean {
    const dir = dirname(path);
    const cached = this.browserTsconfigs.get(dir);
    if (cached !== undefined) return cached;
    const fs = this.project.getFileSystem();
    const root = this.rootOf(path);
    let found = false;
    for (let d = dir; ; d = dirname(d)) {
      const tsconfig = join(d, 'tsconfig.json');
      if (fs.fileExistsSync(tsconfig)) {
        found = tsconfigTargetsBrowser(tsconfig, (p) =>
          fs.fileExistsSync(p) ? fs.readFileSync(p) : undefined,
        );
        break;
      }
      if (d === root || dirname(d) === d) break;
    }
    this.browserTsconfigs.set(dir, found);
    return found;
  }

  /** Replaces (or adds) a file's text, as the editor's unsaved buffer. */
  setFileText(path: string, text: string): SourceFile {
    const existing = this.project.getSourceFile(path);
    if (existing && existing.getFullText() === text) return existing;
    const sf = this.project.createSourceFile(path, text, { overwrite: true });
    // Callers in other files may have derived their classification from the old text.
    this.callGraph.invalidate();
    return sf;
  }

  /** The checker (builds the program on first use after a change). */
  checker(): ts.TypeChecker {
    return this.project.getProgram().compilerObject.getTypeChecker();
  }

  /**
   * The complete, checked edit set of a quick fix `finding` offers, across files, or why it must
   * not be applied. A fix that makes a function a fox task (`fix.resolve`) is resolved against the
   * whole project now: every call is awaited (a caller that cannot await means no fix), the
   * function must be able to run where the mode puts it, the rewritten code is formatted like its
   * file, and the result must add no type error. Any other fix is its own edits, checked the
   * same way: one that would add a type error is unavailable. Apply one
   * resolved fix, then resolve the next against the changed project.
   */
  resolveFix(finding: Finding, fix: QuickFix): ResolvedFix {
    if (finding.fixUnavailable && fix.resolve) return { unavailable: finding.fixUnavailable };
    try {
      // Every fix, not only a task fix, is type-checked in memory before it is offered.
      if (!fix.resolve) return resolvePlainFix(this, fix);
      return resolveTaskFix(this, fix.path, fix.resolve);
    } catch (e) {
      return {
        unavailable: `Fox could not check this fix: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
  }

  /**
   * `analysis` with every task fix resolved now (see `resolveFix`): a fix that cannot be applied
   * safely is dropped and its finding says why in `fixUnavailable`. Costs a project-wide caller
   * search and a type check per fix, so the editor does it only when the user picks a fix.
   */
  settleFixes(analysis: FileAnalysis): FileAnalysis {
    const findings = analysis.findings.map((f): Finding => {
      let fixUnavailable = f.fixUnavailable;
      const fixes = f.fixes.filter((fix) => {
        if (!fix.resolve) return true;
        const resolved = this.resolveFix(f, fix);
        if ('edits' in resolved) return true;
        fixUnavailable ??= resolved.unavailable;
        return false;
      });
      return { ...f, fixes, ...(fixUnavailable ? { fixUnavailable } : {}) };
    });
    return { ...analysis, findings };
  }

  /** Analyses one file of the project. */
  analyzeFile(path: string, options: AnalyzeOptions = {}): FileAnalysis {
    return this.analyzeProjectFile(this.project.getSourceFileOrThrow(path), options);
  }

  /** `analyzeFile` of a file of the project already looked up. */
  private analyzeProjectFile(sf: SourceFile, options: AnalyzeOptions): FileAnalysis {
    const phase = options.phase ?? 'all';
    const path = sf.getFilePath();
    const root = this.rootOf(path);
    // ts-morph hands its own source file objects to the program, so the checker knows these nodes.
    return analyzeSourceFile(sf.compilerNode, {
      path,
      file: toRelative(path, root),
      config: this.configFor(root),
      phase,
      browserTsconfig: this.inBrowserTsconfig(path),
      callGraph: this.callGraph,
      ...(phase === 'syntax' ? {} : { checker: () => this.checker() }),
      ...(options.isCancelled ? { isCancelled: options.isCancelled } : {}),
    });
  }

  /** Analyses every source file. */
  analyzeAll(options: AnalyzeOptions = {}): AnalysisResult {
    const files = this.sourceFiles();
    const result: AnalysisResult = { files: [], functions: [], findings: [] };
    files.forEach((f, i) => {
      const analysis = this.analyzeProjectFile(f, options);
      result.files.push(analysis);
      result.functions.push(...analysis.functions);
      result.findings.push(...analysis.findings);
      options.onProgress?.(i + 1, files.length, analysis.file);
    });
    // Each file is deduplicated already; this guards the whole report (one finding per node).
    result.findings = dedupeFindings(result.findings);
    return result;
  }
}

/** `path` relative to `root` with `/` separators (the task-id prefix). */
export function toRelative(path: string, root: string): string {
  const rel = isAbsolute(path) ? relative(root, path) : path;
  return (rel === '' ? path : rel).split(sep).join('/');
}
