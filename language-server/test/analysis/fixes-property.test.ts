import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ts } from 'ts-morph';
import { DEFAULT_CONFIG, analyzeSourceFile, applyEdits, parseSource } from '../../src/index.js';

/** Statement shapes the rules react to, combined at random into functions and methods. */
const STATEMENTS = [
  'const res = await fetch(url);',
  "const res2 = await fetch(url, { method: 'POST', body: '{}' });",
  'const opts = { headers: {} }; await fetch(url, opts);',
  'const all = await Promise.all(items.map(async (x) => fetch(x)));',
  'for (const x of items) { await fetch(x); }',
  'let acc = 0; for (let i = 0; i < items.length; i++) { for (let j = 0; j < i; j++) acc += i * j; }',
  'const parsed = items.map((s) => JSON.parse(s));',
  "const h = createHash('sha256').update(url).digest('hex');",
  'const z = gzipSync(Buffer.from(url));',
  "const cfg = readFileSync('config.json', 'utf8');",
  'if (items.length === 0) return undefined;',
  'const label = `${url}:${items.length}`;',
];

const shape = fc.record({
  statements: fc.array(fc.constantFrom(...STATEMENTS), { minLength: 1, maxLength: 5 }),
  form: fc.constantFrom(
    'function',
    'export-function',
    'arrow',
    'export-arrow',
    'method',
    'fox-task',
  ),
  isAsync: fc.boolean(),
  mode: fc.constantFrom('sfox', 'wfox', 'tfox', 'mfox'),
  withImport: fc.constantFrom('none', 'fox', 'other-sdk-import'),
});

type Shape = {
  statements: string[];
  form: string;
  isAsync: boolean;
  mode: string;
  withImport: string;
};

function renderShape(s: Shape): string {
  // Statements with `await` need an async function; keep the generated code valid.
  const needsAsync = s.isAsync || s.statements.some((st) => st.includes('await'));
  const a = needsAsync ? 'async ' : '';
  const body = s.statements.map((st) => `  ${st}`).join('\n');
  const params = '(url: string, items: string[])';
  const header = [
    "import { createHash } from 'node:crypto';",
    "import { readFileSync } from 'node:fs';",
    "import { gzipSync } from 'node:zlib';",
    s.withImport === 'fox' ? "import { fox } from '@fox/sdk';" : '',
    s.withImport === 'other-sdk-import' ? "import { FoxConfigError } from '@fox/sdk';" : '',
  ]
    .filter(Boolean)
    .join('\n');
  const fn = ((): string => {
    switch (s.form) {
      case 'function':
        return `${a}function work${params} {\n${body}\n}`;
      case 'export-function':
        return `export ${a}function work${params} {\n${body}\n}`;
      case 'arrow':
        return `const work = ${a}${params} => {\n${body}\n};`;
      case 'export-arrow':
        return `export const work = ${a}${params} => {\n${body}\n};`;
      case 'method':
        return `export class Worker {\n  ${a}work${params} {\n${body}\n  }\n}`;
      default:
        return `export const work = fox({ mode: '${s.mode}', retry: 2 }, ${a}function work${params} {\n${body}\n});`;
    }
  })();
  return `${header}\n\n${fn}\n`;
}

describe('quick fixes (property)', () => {
  it('every fix of every finding applies without overlap and leaves code that parses', () => {
    let applied = 0;
    fc.assert(
      fc.property(shape, (s) => {
        const text = renderShape(s);
        const path = '/p/src/gen.ts';
        const result = analyzeSourceFile(parseSource(path, text), {
          path,
          file: 'src/gen.ts',
          config: DEFAULT_CONFIG,
          phase: 'syntax',
        });
        assert.equal(result.functions.length, 1, text);
        for (const f of result.findings) {
          for (const fix of f.fixes) {
            const after = applyEdits(text, fix.edits);
            applied++;
            const sf = ts.createSourceFile(path, after, ts.ScriptTarget.ES2022, true);
            const errors = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] })
              .parseDiagnostics;
            assert.equal(errors.length, 0, `${f.rule} "${fix.title}" broke:\n${after}`);
            // The fix made the import available whenever it introduced a fox(...) call.
            if (/\bfox\(/.test(after) && !/\bfox\(/.test(text)) {
              assert.match(after, /import \{[^}]*\bfox\b[^}]*\} from '@fox\/sdk'/);
            }
          }
        }
      }),
      { numRuns: 150, seed: 42 },
    );
    assert.ok(applied > 100, `only ${applied} fixes exercised`);
  });
});
