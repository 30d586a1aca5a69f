import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bindingNameAt,
  enclosingClassAt,
  offsetOf,
  projectRootOf,
  relativeSourcePath,
} from '../../src/task/task-id.js';

/** Offset of the first occurrence of `marker` in `source`. */
function at(source: string, marker: string): number {
  const i = source.indexOf(marker);
  assert.ok(i >= 0, `marker ${marker} not found`);
  return i;
}

describe('task ids from source', () => {
  it('names a fox() call after the binding it is assigned to', () => {
    const src = [
      "export const resize = fox({ mode: 'tfox' }, async function doResize() {});",
      'let parse: Parser = fox({}, async (s: string) => s);',
      'export default fox({}, async () => 1);',
      'handlers.run = fox({}, async () => 1);',
      'call(fox({}, async function inner() {}));',
    ].join('\n');
    assert.equal(bindingNameAt(src, at(src, 'fox({ mode')), 'resize');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async (s')), 'parse');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async () => 1);\nhandlers')), 'default');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async () => 1);\ncall')), 'run');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async function inner')), undefined);
  });

  it('ignores words in comments that look like a binding', () => {
    const src = [
      "/** Light CPU work on the caller's loop: sfox. Input is checked first. */",
      'export const parseLine = fox(',
      '  { mode: "sfox" },',
      ');',
      '// handler = later',
      'const table = { run: fox({}, async () => 1) };',
      'let pending: number',
      'const late = fox({}, async () => 2)',
    ].join('\n');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async () => 2)')), 'late');
    assert.equal(bindingNameAt(src, at(src, 'fox(\n')), 'parseLine');
    assert.equal(bindingNameAt(src, at(src, 'fox({}, async () => 1) }')), 'run');
  });

  it('finds the innermost enclosing class of a decorator', () => {
    const src = `
      const s = "class Fake {";
      // class Commented {
      class Outer extends Base {
        tpl = \`\${'}'} class InTemplate {\`;
        @fox({ mode: 'wfox' }) async a() {}
        static Inner = class Inner {
          @fox() async b() { if (x) { return '}'; } }
        };
        @fox() async c() {}
      }
      @fox() function outside() {}
    `;
    assert.equal(enclosingClassAt(src, at(src, "@fox({ mode: 'wfox' })")), 'Outer');
    assert.equal(enclosingClassAt(src, at(src, '@fox() async b')), 'Inner');
    assert.equal(enclosingClassAt(src, at(src, '@fox() async c')), 'Outer');
    assert.equal(enclosingClassAt(src, at(src, '@fox() function outside')), undefined);
  });

  it('converts 1-based line and column to an offset', () => {
    const src = 'ab\ncd\nef';
    assert.equal(src[offsetOf(src, 2, 2)], 'd');
    assert.equal(src[offsetOf(src, 3, 1)], 'e');
  });

  it('uses the nearest package.json as the project root, with forward slashes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fox-root-'));
    try {
      mkdirSync(join(dir, 'app', 'src', 'deep'), { recursive: true });
      writeFileSync(join(dir, 'app', 'package.json'), '{}');
      const file = join(dir, 'app', 'src', 'deep', 'x.ts');
      const root = projectRootOf(file);
      assert.equal(root, join(dir, 'app'));
      assert.equal(relativeSourcePath(file, root), 'src/deep/x.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
