import { strict as assert } from 'node:assert';
import { FoxAnalyzer, type Finding, type QuickFix } from '../../src/index.js';
import {
  HEAVY_LINES,
  ROOT,
  applyFileEdits,
  diagnostics,
  indentLines,
  taskFixProject,
  textOf,
} from './task-fix-project.js';

/** `HEAVY_LINES` indented with `unit` per level, starting at `levels` levels. */
const heavy = (unit: string, levels = 1): string => indentLines(HEAVY_LINES, unit, levels);

const SCORE = `export function score(rows: number[][]): number {\n${heavy('  ')}\n  return acc;\n}\n`;

function fox001(analyzer: FoxAnalyzer, file: string): Finding {
  const finding = analyzer
    .analyzeFile(`${ROOT}/src/${file}`)
    .findings.find((f) => f.rule === 'FOX001');
  assert.ok(finding, `no FOX001 in ${file}`);
  return finding;
}

function onlyFix(finding: Finding): QuickFix {
  assert.equal(finding.fixes.length, 1, JSON.stringify(finding));
  return finding.fixes[0]!;
}

describe('task fixes (safe "run as tfox")', () => {
  it('offers no fix for a method that uses `this`, and says why', () => {
    const analyzer = taskFixProject({
      'stats.ts': `export class Stats {
  factor = 3;
  score(rows: number[][]): number {
${heavy('  ', 2)}
    return acc * this.factor;
  }
}
`,
    });
    const finding = fox001(analyzer, 'stats.ts');
    assert.deepEqual(finding.fixes, []);
    assert.match(finding.fixUnavailable ?? '', /`this`/);
  });

  it('offers no fix for a sync function that recurses through the binding the wrap rebinds', () => {
    const analyzer = taskFixProject({
      'walk.ts': `export const walk = (rows: number[][], depth: number): number => {
${heavy('  ')}
  return depth > 0 ? acc + walk(rows, depth - 1) : acc;
};
`,
    });
    const finding = fox001(analyzer, 'walk.ts');
    assert.deepEqual(finding.fixes, []);
    assert.match(finding.fixUnavailable ?? '', /calls itself/);
  });

  it('keeps a recursive declaration calling itself directly, and awaits no self-call', () => {
    const analyzer = taskFixProject({
      'walk.ts': `export function walk(rows: number[][], depth: number): number {
${heavy('  ')}
  return depth > 0 ? acc + walk(rows, depth - 1) : acc;
}
`,
    });
    const finding = fox001(analyzer, 'walk.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('edits' in resolved, JSON.stringify(resolved));
    applyFileEdits(analyzer, resolved.edits);
    const text = textOf(analyzer, 'walk.ts');
    assert.match(text, /acc \+ walk\(rows, depth - 1\)/);
    assert.doesNotMatch(text, /await/);
    assert.deepEqual(diagnostics(analyzer), []);
  });

  it('awaits every call of a sync function: one fix, three files, no new type error', () => {
    const analyzer = taskFixProject({
      'lib.ts': SCORE,
      'a.ts': `import { score } from './lib.js';

export async function handle(rows: number[][]): Promise<number> {
  const s = score(rows);
  return s + score(rows).toFixed().length;
}
`,
      'b.ts': `import * as lib from './lib.js';

export const run = async (rows: number[][]) => lib.score(rows) ** 2;
`,
    });
    const before = diagnostics(analyzer);
    const finding = fox001(analyzer, 'lib.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('edits' in resolved, JSON.stringify(resolved));
    assert.deepEqual(resolved.edits.map((e) => e.path.slice(ROOT.length + 5)).sort(), [
      'a.ts',
      'b.ts',
      'lib.ts',
    ]);
    applyFileEdits(analyzer, resolved.edits);
    assert.match(textOf(analyzer, 'a.ts'), /const s = await score\(rows\);/);
    assert.match(textOf(analyzer, 'a.ts'), /\(await score\(rows\)\)\.toFixed\(\)/);
    assert.match(textOf(analyzer, 'b.ts'), /\(await lib\.score\(rows\)\) \*\* 2/);
    assert.match(textOf(analyzer, 'lib.ts'), /export const score = fox\(/);
    assert.deepEqual(diagnostics(analyzer), before);
  });

  it('checks a project without @fox/sdk installed against a stand-in, and removes it after', () => {
    const analyzer = FoxAnalyzer.inMemory({
      '/bare/package.json': '{ "name": "bare", "type": "module" }',
      '/bare/src/lib.ts': SCORE,
      '/bare/src/a.ts': `import { score } from './lib.js';\n\nexport async function a(rows: number[][]): Promise<string> {\n  return score(rows).toFixed(1);\n}\n`,
    });
    const finding = analyzer
      .analyzeFile('/bare/src/lib.ts')
      .findings.find((f) => f.rule === 'FOX001')!;
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('edits' in resolved, JSON.stringify(resolved));
    assert.equal(resolved.edits.length, 2);
    assert.deepEqual(
      analyzer.project
        .getSourceFiles()
        .map((f) => f.getBaseName())
        .sort(),
      ['a.ts', 'lib.ts'],
    );
  });

  it('makes a caller that returns a promise already async, then awaits in it', () => {
    const analyzer = taskFixProject({
      'lib.ts': SCORE,
      'later.ts': `import { score } from './lib.js';

export function later(rows: number[][]): Promise<string> {
  return Promise.resolve(score(rows).toFixed(1));
}

export const soon = (rows: number[][]): Promise<number> => Promise.resolve(score(rows));
`,
    });
    const before = diagnostics(analyzer);
    const finding = fox001(analyzer, 'lib.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('edits' in resolved, JSON.stringify(resolved));
    applyFileEdits(analyzer, resolved.edits);
    const text = textOf(analyzer, 'later.ts');
    assert.match(text, /export async function later\(rows: number\[\]\[\]\): Promise<string> \{/);
    assert.match(text, /Promise\.resolve\(\(await score\(rows\)\)\.toFixed\(1\)\)/);
    assert.match(
      text,
      /export const soon = async \(rows: number\[\]\[\]\): Promise<number> =>\s+Promise\.resolve\(await score\(rows\)\)/,
    );
    assert.deepEqual(diagnostics(analyzer), before);
  });

  it('offers no fix when a caller is in a sync position, and says where', () => {
    const analyzer = taskFixProject({
      'lib.ts': SCORE,
      'report.ts': `import { score } from './lib.js';

export function report(all: number[][][]): string[] {
  return all.map((rows) => String(score(rows)));
}
`,
    });
    const settled = analyzer.settleFixes(analyzer.analyzeFile(`${ROOT}/src/lib.ts`));
    const finding = settled.findings.find((f) => f.rule === 'FOX001')!;
    assert.deepEqual(finding.fixes, []);
    assert.match(
      finding.fixUnavailable ?? '',
      /synchronous callback passed to all\.map\(\).*report\.ts:4/,
    );
  });

  it('offers no fix when module code above the declaration may call it before the const exists', () => {
    const analyzer = taskFixProject({
      'main.ts': `void main();

async function main(): Promise<void> {
  console.log(await score([[1]]));
}

export async function score(rows: number[][]): Promise<number> {
${heavy('  ')}
  return acc;
}
`,
    });
    const finding = fox001(analyzer, 'main.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('unavailable' in resolved);
    assert.match(resolved.unavailable, /calls 'main', which may reach it before the const/);
  });

  it('offers no fix when the function is passed as a value', () => {
    const analyzer = taskFixProject({
      'lib.ts': SCORE,
      'app.ts': `import { score } from './lib.js';

export async function scores(all: number[][][]): Promise<number[]> {
  return all.map(score);
}
`,
    });
    const finding = fox001(analyzer, 'lib.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('unavailable' in resolved);
    assert.match(resolved.unavailable, /used as a value at src\/app\.ts:4/);
  });

  it('offers no fix when the result cannot be cloned back from a worker', () => {
    const analyzer = taskFixProject({
      'lib.ts': `export class Grid {
  constructor(readonly cells: number[]) {}
  sum(): number {
    return this.cells.length;
  }
}
export async function build(rows: number[][]): Promise<Grid> {
${heavy('  ')}
  return new Grid([acc]);
}
`,
    });
    const finding = fox001(analyzer, 'lib.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('unavailable' in resolved);
    assert.match(resolved.unavailable, /Grid instance/);
  });

  it('offers no fix for a function that uses module state (what FOX006 rejects in a task)', () => {
    const analyzer = taskFixProject({
      'lib.ts': `let calls = 0;
const memo = new Map<number, number>();

export async function counted(rows: number[][]): Promise<number> {
${heavy('  ')}
  calls++;
  return acc + calls;
}

export async function memoised(rows: number[][]): Promise<number> {
${heavy('  ')}
  memo.set(rows.length, acc);
  return acc;
}
`,
    });
    const findings = analyzer
      .analyzeFile(`${ROOT}/src/lib.ts`)
      .findings.filter((f) => f.rule === 'FOX001');
    assert.equal(findings.length, 2);
    for (const f of findings) assert.deepEqual(f.fixes, []);
    assert.match(findings[0]!.fixUnavailable ?? '', /module state 'calls'/);
    assert.match(findings[1]!.fixUnavailable ?? '', /module state 'memo'/);
  });

  it('offers no switch to tfox (FOX007) for a task that FOX006 would then reject', () => {
    const analyzer = taskFixProject({
      'lib.ts': `import { fox } from '@fox/sdk';

let calls = 0;

export const counted = fox({ mode: 'sfox' }, async function counted(rows: number[][]) {
${heavy('  ')}
  calls++;
  return acc + calls;
});

export const pure = fox({ mode: 'sfox' }, async function pure(rows: number[][]) {
${heavy('  ')}
  return acc;
});
`,
    });
    const findings = analyzer
      .analyzeFile(`${ROOT}/src/lib.ts`)
      .findings.filter((f) => f.rule === 'FOX007');
    assert.equal(findings.length, 2, JSON.stringify(findings));
    assert.deepEqual(findings[0]!.fixes, []);
    assert.match(findings[0]!.fixUnavailable ?? '', /module state 'calls'/);
    assert.equal(findings[1]!.fixes[0]?.title, "Change mode to 'tfox'");
  });

  it('offers no fix for a function that changes its argument in place', () => {
    const analyzer = taskFixProject({
      'lib.ts': `export async function fill(rows: number[][], out: number[]): Promise<void> {
${heavy('  ')}
  out.push(acc);
}
`,
    });
    const finding = fox001(analyzer, 'lib.ts');
    assert.deepEqual(finding.fixes, []);
    assert.match(finding.fixUnavailable ?? '', /changes its argument 'out'/);
  });

  it('writes quotes and semicolons like the file (double quotes, no semicolons)', () => {
    const analyzer = taskFixProject({
      'lib.ts': `import { x } from "./x.js"\n\nexport async function score(rows: number[][]): Promise<number> {\n${heavy('  ').replace(/;$/gm, '')}\n  return acc + x\n}\n`,
      'x.ts': 'export const x = 1\n',
    });
    const finding = fox001(analyzer, 'lib.ts');
    const resolved = analyzer.resolveFix(finding, onlyFix(finding));
    assert.ok('edits' in resolved, JSON.stringify(resolved));
    applyFileEdits(analyzer, resolved.edits);
    const text = textOf(analyzer, 'lib.ts');
    assert.match(text, /^import \{ fox \} from "@fox\/sdk"$/m);
    assert.match(text, /^ {2}\{ mode: "tfox" \},$/m);
    assert.match(text, /^\)$/m, 'no semicolon after the wrap');
    assert.deepEqual(diagnostics(analyzer), []);
  });

  for (const [label, unit] of [
    ['4 spaces', '    '],
    ['tabs', '\t'],
  ] as const) {
    it(`formats a wrapped function like its file (${label}), without long lines`, () => {
      const analyzer = taskFixProject({
        'lib.ts': `export async function scoreAllTheRowsOfTheMatrix(rows: number[][], weights: number[]): Promise<number> {\n${heavy(unit)}\n${unit}return acc + weights.length;\n}\n`,
      });
      const finding = fox001(analyzer, 'lib.ts');
      const resolved = analyzer.resolveFix(finding, onlyFix(finding));
      assert.ok('edits' in resolved, JSON.stringify(resolved));
      applyFileEdits(analyzer, resolved.edits);
      const text = textOf(analyzer, 'lib.ts');
      const lines = text.split('\n');
      assert.ok(Math.max(...lines.map((l) => l.length)) <= 120, text);
      // The function is now an argument: one level deeper, in the file's own unit.
      assert.ok(
        lines.includes(`${unit}async function scoreAllTheRowsOfTheMatrix(`) ||
          lines.some((l) => l.startsWith(`${unit}async function scoreAllTheRowsOfTheMatrix(`)),
        text,
      );
      assert.ok(lines.includes(`${unit.repeat(2)}let acc = 0;`), text);
      assert.ok(
        lines.includes(`${unit.repeat(4)}for (const v of rows[i]!) acc = (acc * 31 + v * j) | 0;`),
        text,
      );
      assert.ok(!lines.some((l) => /^ +\t|^\t+ /.test(l)), `mixed indentation:\n${text}`);
      assert.deepEqual(diagnostics(analyzer), []);
    });
  }
});
