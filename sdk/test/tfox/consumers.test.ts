import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  makeProject,
  requireBuiltSdk,
  run,
  runNode,
  tsc,
  tsconfigFor,
  tsxLoader,
} from '../consumers/temp-project.js';

/**
 * tfox from the built @fox/sdk, the way users run it: the worker imports the user's module
 * (ESM, CommonJS, TypeScript through tsx, tsc output with source maps) with both decorator
 * flavours, and the decoration inside the worker returns the plain function.
 */

const node = (dir: string, args: string[]) => runNode(dir, args);

const TS_TASKS = `import { isMainThread } from 'node:worker_threads';
import { fox } from '@fox/sdk';

export const double = fox({ mode: 'tfox' }, async function double(n: number) {
  return { n: n * 2, main: isMainThread };
});

export class Images {
  @fox({ mode: 'tfox' })
  static async scale(w: number): Promise<{ w: number; main: boolean; self: boolean }> {
    return { w: w * 3, main: isMainThread, self: this === Images };
  }
}
`;

const TS_APP = `import { fox } from '@fox/sdk';
import { double, Images } from './tasks.js';
const results = [await double(21), await Images.scale(2)];
console.log(JSON.stringify({ results, ids: fox.tasks().map((t) => t.id).sort() }));
await fox.shutdown();
`;

const EXPECTED = [
  { n: 42, main: false },
  { w: 6, main: false, self: true },
];

describe('tfox in consumers of the built @fox/sdk', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  before(requireBuiltSdk);

  it('runs an ESM module function in a worker', async () => {
    const dir = makeProject(
      { type: 'module' },
      {
        'tasks.js': `import { isMainThread } from 'node:worker_threads';
import { fox } from '@fox/sdk';
export const double = fox({ mode: 'tfox' }, async function double(n) { return { n: n * 2, main: isMainThread }; });`,
        'app.js': `import { fox } from '@fox/sdk';
import { double } from './tasks.js';
console.log(JSON.stringify([await double(21)]));
await fox.shutdown();`,
      },
    );
    dirs.push(dir);
    assert.deepEqual(await node(dir, ['app.js']), [EXPECTED[0]]);
  });

  it('runs a CommonJS module function in a worker (found through default)', async () => {
    const dir = makeProject(
      { type: 'commonjs' },
      {
        'tasks.js': `const { isMainThread } = require('node:worker_threads');
const { fox } = require('@fox/sdk');
exports.double = fox({ mode: 'tfox' }, async function double(n) { return { n: n * 2, main: isMainThread }; });`,
        'app.js': `const { fox } = require('@fox/sdk');
const { double } = require('./tasks.js');
(async () => {
  console.log(JSON.stringify([await double(21)]));
  await fox.shutdown();
})();`,
      },
    );
    dirs.push(dir);
    assert.deepEqual(await node(dir, ['app.js']), [EXPECTED[0]]);
  });

  it('runs a bundled single-file app with a separate worker entry (no deadlock)', async () => {
    const esbuild = await import('esbuild');
    const dir = makeProject(
      { type: 'module' },
      {
        'src/tasks.ts': TS_TASKS,
        'src/app.ts': TS_APP,
      },
    );
    dirs.push(dir);
    // The tasks point at the worker entry, as the documented answer says.
    const tasks = TS_TASKS.replaceAll(
      "{ mode: 'tfox' }",
      "{ mode: 'tfox', module: new URL('./workers.js', import.meta.url).href }",
    );
    writeFileSync(join(dir, 'src/tasks.ts'), tasks);
    const common = {
      bundle: true,
      platform: 'node' as const,
      format: 'esm' as const,
      target: 'node20',
      sourcemap: true,
      absWorkingDir: dir,
      packages: 'external' as const,
      logLevel: 'silent' as const,
    };
    await esbuild.build({ ...common, entryPoints: ['src/app.ts'], outfile: 'dist/app.js' });
    await esbuild.build({ ...common, entryPoints: ['src/tasks.ts'], outfile: 'dist/workers.js' });
    const r = (await node(dir, ['--enable-source-maps', 'dist/app.js'])) as { results: unknown };
    assert.deepEqual(r.results, EXPECTED);
  });

  for (const decorators of ['standard', 'legacy'] as const) {
    it(`runs TypeScript through tsx and compiled with source maps (${decorators} decorators)`, async () => {
      const dir = makeProject(
        { type: 'module' },
        {
          'tsconfig.json': tsconfigFor(decorators),
          'src/tasks.ts': TS_TASKS,
          'src/app.ts': TS_APP,
        },
      );
      dirs.push(dir);
      const ids = ['src/tasks.ts#Images.scale', 'src/tasks.ts#double'];
      const viaTsx = (await node(dir, ['--import', tsxLoader, 'src/app.ts'])) as {
        results: unknown;
        ids: string[];
      };
      assert.deepEqual(viaTsx.results, EXPECTED);
      assert.deepEqual(viaTsx.ids, ids);
      await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
      const compiled = (await node(dir, ['dist/app.js'])) as { results: unknown; ids: string[] };
      assert.deepEqual(compiled.results, EXPECTED);
      assert.deepEqual(compiled.ids, ids);
    });
  }
});
