import { ts } from 'ts-morph';
import { FoxAnalyzer, applyEdits, type FileEdits } from '../../src/index.js';

/**
 * An in-memory project for task-fix tests: an ES module package with a typed stand-in for
 * `@fox/sdk` (the real signatures of `fox`), so a fix's import resolves and type-checks.
 */

const SDK_TYPES = `
export type Foxed<A extends unknown[], R, This = unknown> = (this: This, ...args: A) => Promise<Awaited<R>>;
export interface FoxOptions { mode?: 'sfox' | 'wfox' | 'tfox' | 'mfox' | 'auto'; timeout?: number }
type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => R;
export interface FoxDecorator {
  <This, A extends unknown[], R extends PromiseLike<unknown>>(
    value: AsyncMethod<This, A, R>,
    context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
  ): AsyncMethod<This, A, R>;
}
export interface FoxApi {
  <A extends unknown[], R, This = unknown>(options: FoxOptions, fn: (this: This, ...args: A) => R): Foxed<A, R, This>;
  (options?: FoxOptions): FoxDecorator;
}
export declare const fox: FoxApi;
export declare class FoxConfigError extends Error {}
`;

export const ROOT = '/proj';

/** Nested loops over `rows` into `acc`: enough CPU evidence for FOX001 (two spaces a level). */
export const HEAVY_LINES: readonly string[] = [
  'let acc = 0;',
  'for (let i = 0; i < rows.length; i++) {',
  '  for (let j = 0; j < rows.length; j++) {',
  '    for (const v of rows[i]!) acc = (acc * 31 + v * j) | 0;',
  '  }',
  '}',
];

/** `lines` (two spaces a level) re-indented with `unit` per level, starting at `levels` levels. */
export function indentLines(lines: readonly string[], unit: string, levels: number): string {
  return lines
    .map((l) => {
      const nested = (/^ */.exec(l)?.[0].length ?? 0) / 2;
      return unit.repeat(levels + nested) + l.trimStart();
    })
    .join('\n');
}

/** `files` maps paths relative to `/proj/src` to their text. */
export function taskFixProject(files: Record<string, string>): FoxAnalyzer {
  return FoxAnalyzer.inMemory({
    [`${ROOT}/package.json`]: '{ "name": "proj", "type": "module" }',
    [`${ROOT}/node_modules/@fox/sdk/package.json`]:
      '{ "name": "@fox/sdk", "type": "module", "types": "./index.d.ts" }',
    [`${ROOT}/node_modules/@fox/sdk/index.d.ts`]: SDK_TYPES,
    ...Object.fromEntries(Object.entries(files).map(([p, t]) => [`${ROOT}/src/${p}`, t])),
  });
}

/** Every syntactic and semantic diagnostic of the project's source files, as sortable strings. */
export function diagnostics(analyzer: FoxAnalyzer): string[] {
  const program = analyzer.project.getProgram().compilerObject;
  const out: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)])
      out.push(`${sf.fileName} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return out.sort();
}

/** Applies a resolved fix's edits to the project's files. */
export function applyFileEdits(analyzer: FoxAnalyzer, edits: readonly FileEdits[]): void {
  for (const e of edits) {
    const text = analyzer.project.getSourceFileOrThrow(e.path).getFullText();
    analyzer.setFileText(e.path, applyEdits(text, e.edits));
  }
}

/** The text of `/proj/src/<file>`. */
export const textOf = (analyzer: FoxAnalyzer, file: string): string =>
  analyzer.project.getSourceFileOrThrow(`${ROOT}/src/${file}`).getFullText();
