import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * The compiler settings of the real-code type checks (the packages ship sources, not their
 * tsconfig): strict, ES2022, bundler resolution (their imports are written both with and without
 * `.js`), decorators on (theia's inversify), node types from this repo when a package has none.
 */
export function checkerOptions(typeRoots: string[]): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    jsx: ts.JsxEmit.React,
    esModuleInterop: true,
    resolveJsonModule: true,
    types: ['node'],
    typeRoots,
  };
}

/** One diagnostic as a comparable key (file, code, message; positions move with edits). */
export function diagnosticKey(d: ts.Diagnostic): string {
  return `${d.file?.fileName ?? ''}\0${d.code}\0${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
}

export function formatDiagnostic(d: ts.Diagnostic): string {
  const where =
    d.file && d.start !== undefined
      ? (() => {
          const p = d.file.getLineAndCharacterOfPosition(d.start);
          return `${d.file.fileName}:${p.line + 1}:${p.character + 1}`;
        })()
      : '';
  return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
}

/**
 * A program over the project's files whose texts can be overridden in memory, re-created cheaply
 * from the previous one (unchanged files are reused).
 */
export class OverlayProgram {
  private readonly overrides = new Map<string, string>();
  private readonly host: ts.CompilerHost;
  private program: ts.Program | undefined;

  constructor(
    private readonly files: readonly string[],
    private readonly options: ts.CompilerOptions,
  ) {
    const base = ts.createCompilerHost(options, true);
    const cache = new Map<string, ts.SourceFile>();
    this.host = {
      ...base,
      fileExists: (f) => this.overrides.has(f) || base.fileExists(f),
      readFile: (f) => this.overrides.get(f) ?? base.readFile(f),
      getSourceFile: (f, lang, onError, shouldCreate) => {
        const text = this.overrides.get(f);
        if (text !== undefined) return ts.createSourceFile(f, text, lang, true);
        let sf = cache.get(f);
        if (!sf || shouldCreate) {
          sf = base.getSourceFile(f, lang, onError, shouldCreate);
          if (sf) cache.set(f, sf);
        }
        return sf;
      },
    };
  }

  text(path: string): string {
    return this.overrides.get(path) ?? readFileSync(path, 'utf8');
  }

  set(path: string, text: string | undefined): void {
    if (text === undefined) this.overrides.delete(path);
    else this.overrides.set(path, text);
  }

  /** Semantic and syntactic errors of the given files (all the project's files by default). */
  errors(only?: readonly string[]): ts.Diagnostic[] {
    this.program = ts.createProgram({
      rootNames: [...this.files],
      options: this.options,
      host: this.host,
      ...(this.program ? { oldProgram: this.program } : {}),
    });
    const p = this.program;
    const wanted = only ? new Set(only) : undefined;
    return p
      .getSourceFiles()
      .filter((sf) => (wanted ? wanted.has(sf.fileName) : this.files.includes(sf.fileName)))
      .flatMap((sf) => [...p.getSyntacticDiagnostics(sf), ...p.getSemanticDiagnostics(sf)])
      .filter((d) => d.category === ts.DiagnosticCategory.Error);
  }
}
