import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  HEAVY_LINES,
  ROOT,
  applyFileEdits,
  diagnostics,
  indentLines,
  taskFixProject,
} from './task-fix-project.js';

/**
 * Property: applying any "run as a task" fix that resolveFix offers leaves the project's type
 * diagnostics exactly as they were, whatever the function's form and wherever it is called from.
 */

const FORMS = ['decl', 'export-decl', 'arrow', 'method', 'method-this'] as const;
const POSITIONS = [
  'async-fn',
  'async-arrow',
  'sync-fn',
  'map-callback',
  'value',
  'top-level',
  'class-field',
  'constructor',
  'awaited',
  'returns-promise',
] as const;
const IMPORTS = ['named', 'alias', 'namespace'] as const;

const shape = fc.record({
  form: fc.constantFrom(...FORMS),
  isAsync: fc.boolean(),
  recursive: fc.boolean(),
  indent: fc.constantFrom('  ', '    ', '\t'),
  callers: fc.array(
    fc.record({
      file: fc.integer({ min: 0, max: 2 }),
      position: fc.constantFrom(...POSITIONS),
      via: fc.constantFrom(...IMPORTS),
    }),
    { maxLength: 3 },
  ),
});

type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never;

function renderLib(s: Shape): string {
  const a = s.isAsync ? 'async ' : '';
  const ret = s.isAsync ? 'Promise<number>' : 'number';
  const method = s.form === 'method' || s.form === 'method-this';
  const self = method ? 'this.score' : 'score';
  const tail = [
    ...(s.form === 'method-this' ? ['acc += this.bias;'] : []),
    ...(s.recursive
      ? [`if (rows.length > 1) acc += ${s.isAsync ? 'await ' : ''}${self}(rows.slice(1));`]
      : []),
    'return acc;',
  ];
  const depth = method ? 2 : 1;
  const body = indentLines([...HEAVY_LINES, ...tail], s.indent, depth);
  const sig = `(rows: number[][]): ${ret}`;
  switch (s.form) {
    case 'decl':
      return `function score${sig} {\n${body}\n}\nexport { score };\n`;
    case 'export-decl':
      return `export ${a}function score${sig} {\n${body}\n}\n`;
    case 'arrow':
      return `export const score = ${a}${sig} => {\n${body}\n};\n`;
    default:
      return `export class Lib {\n${s.indent}bias = 1;\n${s.indent}${a}score${sig} {\n${body}\n${s.indent}}\n}\n`;
  }
}

function renderCaller(s: Shape, c: Shape['callers'][number], n: number): string {
  const method = s.form === 'method' || s.form === 'method-this';
  const imported = method ? 'Lib' : 'score';
  const local = c.via === 'alias' ? `${imported}Alias` : imported;
  const ref = c.via === 'namespace' ? `lib.${imported}` : local;
  const imp =
    c.via === 'namespace'
      ? `import * as lib from './lib.js';`
      : `import { ${c.via === 'alias' ? `${imported} as ${local}` : imported} } from './lib.js';`;
  const call = (arg: string): string => (method ? `new ${ref}().score(${arg})` : `${ref}(${arg})`);
  const value = method ? `new ${ref}().score` : ref;
  // Each use types the result as a number, so a caller left with a promise is a type error.
  const code = ((): string => {
    switch (c.position) {
      case 'async-fn':
        return `export async function c${n}(rows: number[][]) {\n  const v: number = ${call('rows')};\n  return v;\n}`;
      case 'async-arrow':
        return `export const c${n} = async (rows: number[][]) => ${call('rows')}.toFixed(1);`;
      case 'sync-fn':
        return `export function c${n}(rows: number[][]): number {\n  return ${call('rows')} + 1;\n}`;
      case 'map-callback':
        return `export async function c${n}(all: number[][][]) {\n  return all.map((r) => ${call('r')} * 2);\n}`;
      case 'value':
        return `export const c${n}: Array<(rows: number[][]) => number> = [${value}];`;
      case 'top-level':
        return `export const c${n}: number = ${call('[[1]]')};`;
      case 'class-field':
        return `export class C${n} {\n  v: number = ${call('[[1]]')};\n}`;
      case 'constructor':
        return `export class C${n} {\n  v: number;\n  constructor() {\n    this.v = ${call('[[1]]')};\n  }\n}`;
      case 'returns-promise':
        return `export function c${n}(rows: number[][]): Promise<number> {\n  return Promise.resolve(${call('rows')} + 1);\n}`;
      default:
        return `export async function c${n}(rows: number[][]) {\n  return (await ${call('rows')}) + 1;\n}`;
    }
  })();
  return `${imp}\n\n${code}\n`;
}

function render(s: Shape): Record<string, string> {
  const files: Record<string, string> = { 'lib.ts': renderLib(s) };
  const callers = ['', '', ''];
  s.callers.forEach((c, i) => {
    // One caller per file keeps the import lines apart.
    if (callers[c.file] === '') callers[c.file] = renderCaller(s, c, i);
  });
  callers.forEach((t, i) => (files[`c${i}.ts`] = t === '' ? 'export {};\n' : t));
  return files;
}

describe('task fixes (property)', function () {
  this.timeout(300_000);

  it('applying any fix resolveFix offers leaves the type diagnostics unchanged', () => {
    const analyzer = taskFixProject({ 'lib.ts': 'export {};\n' });
    let applied = 0;
    let declined = 0;
    fc.assert(
      fc.property(shape, (s) => {
        const files = render(s);
        for (const [file, text] of Object.entries(files))
          analyzer.setFileText(`${ROOT}/src/${file}`, text);
        const before = diagnostics(analyzer);
        // The finding at the function (an async one with awaits may get FOX001's "move the
        // heavy part out" finding instead, which has no wrap fix to offer).
        const finding = analyzer
          .analyzeFile(`${ROOT}/src/lib.ts`)
          .findings.find((f) => f.rule === 'FOX001' && /does CPU-heavy work/.test(f.message));
        if (!finding) return;
        if (finding.fixes.length === 0) {
          assert.ok(finding.fixUnavailable, 'a finding without its fix says why');
          declined++;
        }
        for (const fix of finding.fixes) {
          const resolved = analyzer.resolveFix(finding, fix);
          if ('unavailable' in resolved) {
            assert.ok(resolved.unavailable.length > 0);
            declined++;
            continue;
          }
          applyFileEdits(analyzer, resolved.edits);
          const after = diagnostics(analyzer);
          const shown = Object.keys(files)
            .map(
              (f) =>
                `// ${f}\n${analyzer.project.getSourceFileOrThrow(`${ROOT}/src/${f}`).getFullText()}`,
            )
            .join('\n');
          assert.deepEqual(after, before, `fix changed the diagnostics:\n${shown}`);
          for (const e of resolved.edits) {
            const text = analyzer.project.getSourceFileOrThrow(e.path).getFullText();
            assert.ok(
              text.split('\n').every((l) => l.length <= 120),
              `long line:\n${text}`,
            );
          }
          applied++;
          for (const [file, text] of Object.entries(files))
            analyzer.setFileText(`${ROOT}/src/${file}`, text);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
    assert.ok(applied >= 5, `only ${applied} fixes applied`);
    assert.ok(declined >= 5, `only ${declined} fixes declined`);
  });
});
