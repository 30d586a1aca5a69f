import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  makeProject,
  requireBuiltSdk,
  run,
  runNode,
  tsc,
  tsconfigFor,
  tsxLoader,
} from './temp-project.js';

/**
 * The built @fox/sdk used the way users use it: linked into a fresh project of each kind
 * (ESM, CommonJS, TypeScript through tsx, TypeScript compiled by tsc with source maps, both
 * decorator flavours) and run in its own process, without the `source` export condition — so
 * these tests exercise `dist/`, exactly what a user installs.
 */

type Report = {
  ids: string[];
  results: unknown[];
  stats: { id: string; calls: number; current: string }[];
};
const node = (dir: string, args: string[]) => runNode<Report>(dir, args);

const REPORT = `
const stats = fox.stats().tasks.map((t) => ({ id: t.id, calls: t.calls, current: t.current }));
console.log(JSON.stringify({ ids: fox.tasks().map((t) => t.id).sort(), results, stats }));
await fox.shutdown();`;

const TS_APP = (
  decorators: 'standard' | 'legacy',
) => `import { fox, FoxValidationError } from '@fox/sdk';

export const double = fox({ mode: 'sfox' }, async function double(n: number) {
  return n * 2;
});

export class Orders {
  private placed = 0;

  @fox({ mode: 'wfox', limiter: { algorithm: 'aimd', initial: 4 } })
  async place(id: string): Promise<string> {
    this.placed++;
    return \`\${id}#\${this.placed} (${decorators})\`;
  }
}

const orders = new Orders();
const results: unknown[] = [await double(21), await orders.place('a'), await orders.place('b')];
const strict = fox({ id: 'strict', input: { safeParse: (v: unknown) => (typeof v === 'number' ? { success: true, data: v } : { success: false, error: { issues: [{ path: [], message: 'not a number' }] } }) } }, async (n: unknown) => n);
results.push(await strict('x' as never).catch((e: unknown) => e instanceof FoxValidationError ? e.code : 'wrong error'));
${REPORT}
`;

function tsProject(decorators: 'standard' | 'legacy'): string {
  return makeProject(
    { type: 'module' },
    { 'tsconfig.json': tsconfigFor(decorators), 'src/app.ts': TS_APP(decorators) },
  );
}

describe('consumers of the built @fox/sdk', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  before(requireBuiltSdk);

  it('works from an ESM project', async () => {
    const dir = makeProject(
      { type: 'module' },
      {
        'app.js': `import { fox } from '@fox/sdk';
export const greet = fox({ mode: 'sfox' }, async (name) => 'hi ' + name);
const results = [await greet('esm')];
${REPORT}`,
      },
    );
    dirs.push(dir);
    const r = await node(dir, ['app.js']);
    assert.deepEqual(r.results, ['hi esm']);
    assert.deepEqual(r.ids, ['app.js#greet']);
  });

  it('works from a CommonJS project', async () => {
    const dir = makeProject(
      { type: 'commonjs' },
      {
        'app.js': `const { fox, FoxConfigError } = require('@fox/sdk');
const greet = fox({ mode: 'wfox' }, async function greet(name) { return 'hi ' + name; });
let configError = null;
try { fox({ mode: 'nope' }, async () => 1); } catch (e) { configError = e instanceof FoxConfigError && e.path.join('.'); }
(async () => {
  const results = [await greet('cjs'), configError];
  const stats = fox.stats().tasks.map((t) => ({ id: t.id, calls: t.calls, current: t.current }));
  console.log(JSON.stringify({ ids: fox.tasks().map((t) => t.id).sort(), results, stats }));
  await fox.shutdown();
})();`,
      },
    );
    dirs.push(dir);
    const r = await node(dir, ['app.js']);
    assert.deepEqual(r.results, ['hi cjs', 'mode']);
    assert.deepEqual(r.ids, ['app.js#greet']);
    assert.equal(r.stats[0]!.current, 'wfox');
  });

  for (const decorators of ['standard', 'legacy'] as const) {
    it(`gives the same task ids through tsx and compiled with source maps (${decorators} decorators)`, async () => {
      const dir = tsProject(decorators);
      dirs.push(dir);
      const viaTsx = await node(dir, ['--import', tsxLoader, 'src/app.ts']);
      await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
      const compiled = await node(dir, ['dist/app.js']);

      const expectedIds = ['src/app.ts#Orders.place', 'src/app.ts#double', 'strict'];
      assert.deepEqual(viaTsx.ids, expectedIds);
      assert.deepEqual(compiled.ids, expectedIds, 'compiled output maps back to src/app.ts');
      const expectedResults = [42, `a#1 (${decorators})`, `b#2 (${decorators})`, 'FOX_VALIDATION'];
      assert.deepEqual(viaTsx.results, expectedResults);
      assert.deepEqual(compiled.results, expectedResults);
      const place = compiled.stats.find((s) => s.id === 'src/app.ts#Orders.place')!;
      assert.equal(place.calls, 2);
      assert.equal(place.current, 'wfox');
    });
  }
});
