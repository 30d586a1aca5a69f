import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { FoxConfigError, fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('@fox() with TypeScript 5 standard decorators', () => {
  afterEach(() => runtime().reset());

  it('wraps instance and static methods, keeps `this`, and names them Class.method', async () => {
    class Orders {
      constructor(private readonly prefix: string) {}

      @fox({ mode: 'sfox' })
      async place(id: string): Promise<string> {
        return `${this.prefix}-${id}`;
      }

      @fox()
      static async audit(n: number): Promise<number> {
        return n * 2;
      }
    }
    assert.equal(await new Orders('A').place('1'), 'A-1');
    assert.equal(await Orders.audit(21), 42);
    // Only this file's tasks: fixtures other test files import register theirs at load time.
    const ids = fox
      .tasks()
      .map((t) => t.id)
      .filter((id) => id.startsWith('test/core/decorators.test.ts#'))
      .sort();
    assert.deepEqual(ids, [
      'test/core/decorators.test.ts#Orders.audit',
      'test/core/decorators.test.ts#Orders.place',
    ]);
  });

  it('refuses to decorate something that is not a method', () => {
    const decorate = fox({ mode: 'sfox' }) as unknown as (v: unknown, c: object) => unknown;
    assert.throws(() => decorate(undefined, { kind: 'field', name: 'x' }), FoxConfigError);
  });
});

/**
 * Compiles a TypeScript fixture with esbuild (as a build would), writes it under `dist/` with a
 * source map pointing at `src/`, and imports the compiled file: the task id must name the
 * original source, for both decorator flavours.
 */
async function importCompiled(experimentalDecorators: boolean, source: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fox-deco-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'dist'));
  mkdirSync(join(dir, 'node_modules', '@fox'), { recursive: true });
  symlinkSync(sdkDir, join(dir, 'node_modules', '@fox', 'sdk'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'src', 'orders.ts'), source);
  const out = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'external',
    sourcefile: '../src/orders.ts',
    tsconfigRaw: { compilerOptions: { experimentalDecorators } },
  });
  writeFileSync(join(dir, 'dist', 'orders.js'), `${out.code}//# sourceMappingURL=orders.js.map\n`);
  writeFileSync(join(dir, 'dist', 'orders.js.map'), out.map);
  const mod = (await import(pathToFileURL(join(dir, 'dist', 'orders.js')).href)) as {
    Orders: new () => { place(n: number): Promise<number> };
  };
  return { dir, mod };
}

const FIXTURE = `import { fox } from '@fox/sdk';

// Blank lines and types shift the compiled positions away from the source ones.
type Qty = number;

export class Orders {
  private readonly factor: Qty = 10;

  @fox({ mode: 'wfox', limiter: { algorithm: 'fixed', initial: 2 } })
  async place(n: number): Promise<number> {
    return n * this.factor;
  }
}
`;

for (const experimental of [true, false]) {
  describe(`@fox() compiled with ${experimental ? 'experimentalDecorators' : 'standard decorators'} + source maps`, () => {
    afterEach(() => runtime().reset());

    it('runs the method and maps the task id to the original source', async () => {
      const { dir, mod } = await importCompiled(experimental, FIXTURE);
      try {
        assert.equal(await new mod.Orders().place(4), 40);
        const task = fox.tasks().find((t) => t.id.startsWith('src/orders.ts#'))!;
        assert.equal(task.id, 'src/orders.ts#Orders.place');
        assert.equal(task.current, 'wfox');
        assert.equal(task.location!.file, join(dir, 'src', 'orders.ts'));
        assert.equal(task.location!.line, 9, 'line of the decorator in the original source');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
