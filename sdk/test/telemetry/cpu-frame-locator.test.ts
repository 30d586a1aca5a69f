import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCpuFrameLocator } from '../../src/runtime/cpu-frame-locator.js';
import { projectRootOf, relativeSourcePath } from '../../src/task/task-id.js';

/** The original TypeScript: `work` declared on line 4 (its name at column 17). */
const SOURCE = `// one
// two

export function work(n: number): number {
  return n * 2;
}
`;

describe('cpu frame locator (source maps, project files only)', () => {
  let dir: string;
  let compiled: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-locator-'));
    writeFileSync(join(dir, 'package.json'), '{"name":"p"}');
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'src/work.ts'), SOURCE);
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(dir, 'src/work.ts')],
      outfile: join(dir, 'dist/work.js'),
      format: 'esm',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    compiled = join(dir, 'dist/work.js');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const locate = () => createCpuFrameLocator((f) => relativeSourcePath(f, projectRootOf(f)));

  it('maps a compiled frame through its .map file to the TypeScript declaration', async () => {
    // Where V8 places `work` in the compiled file: the `(` of its parameter list, 0-based.
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(compiled, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('function work('));
    const column = lines[line]!.indexOf('(');
    const got = locate()({
      url: pathToFileURL(compiled).href,
      lineNumber: line,
      columnNumber: column,
      functionName: 'work',
    });
    // The map's nearest segment starts at the name: column 17 of the original line.
    assert.deepEqual(got, { file: 'src/work.ts', line: 4, column: 17, name: 'work' });
  });

  it('names anonymous functions and keeps unmapped project files as they are', () => {
    const plain = join(dir, 'plain.js');
    writeFileSync(plain, 'export default () => 1;\n');
    const got = locate()({
      url: pathToFileURL(plain).href,
      lineNumber: 0,
      columnNumber: 15,
      functionName: '',
    });
    assert.deepEqual(got, { file: 'plain.js', line: 1, column: 16, name: '(anonymous)' });
  });

  it('drops node internals, dependencies, code without a file, and the sdk', () => {
    const l = locate();
    const frame = (url: string) => ({ url, lineNumber: 3, columnNumber: 1, functionName: 'f' });
    assert.equal(l(frame('node:internal/timers')), undefined);
    assert.equal(l(frame('')), undefined);
    assert.equal(l(frame(pathToFileURL(join(dir, 'node_modules/lib/index.js')).href)), undefined);
    assert.equal(
      l(frame(new URL('../../src/telemetry/cpu-sampler.ts', import.meta.url).href)),
      undefined,
    );
    assert.equal(l({ ...frame(pathToFileURL(compiled).href), lineNumber: -1 }), undefined);
  });
});
