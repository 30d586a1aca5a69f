import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FoxStoreError } from '../../src/errors/errors.js';
import {
  loadSqliteDriver,
  type SqliteDatabase,
  type SqliteDriver,
} from '../../src/store/driver.js';
import { tempDir } from './sample-rows.js';

/** tsx's loader by URL, so the children resolve it whatever their working directory. */
const TSX = import.meta.resolve('tsx');
const SDK = new URL('../../src/index.ts', import.meta.url).href;
/** `openStore` is on the `@fox/sdk/store` entry, not the root. */
const SDK_STORE = new URL('../../src/store/index.ts', import.meta.url).href;

// Compile-time: the real driver fits the structural types the public declarations use. If
// better-sqlite3's types (or ours) change so that it no longer does, the type check fails here.
const realDriver: SqliteDriver = Database;
const realConnection = (db: Database.Database): SqliteDatabase => db;

describe('store: the optional SQLite driver', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('loads better-sqlite3 where it resolves, and its connections are SqliteDatabase', () => {
    const Driver = loadSqliteDriver({ from: [import.meta.url] });
    assert.equal(Driver, realDriver);
    const db = realConnection(new Database(':memory:'));
    assert.equal(new Driver(':memory:').prepare('SELECT 41 + 1 AS n').pluck().get(), 42);
    db.close();
  });

  it('says how to add the driver when it is not installed', () => {
    // Nothing resolves better-sqlite3 from a temp folder outside the repo.
    const err = catchError(() => loadSqliteDriver({ from: [join(dir, 'noop.js')] }));
    assert.ok(err instanceof FoxStoreError, String(err));
    assert.equal(err.code, 'FOX_STORE');
    assert.match(err.message, /needs the SQLite driver 'better-sqlite3', which is not installed/);
    assert.match(err.message, /npm i better-sqlite3/);
  });

  it('reports a driver that is installed but fails to load, with the cause', () => {
    const cause = new Error('was compiled against a different Node.js version');
    const err = catchError(() =>
      loadSqliteDriver({
        from: [import.meta.url],
        load: () => {
          throw cause;
        },
      }),
    );
    assert.ok(err instanceof FoxStoreError, String(err));
    assert.equal(err.code, 'FOX_STORE');
    assert.match(err.message, /failed to load: was compiled against a different Node\.js version/);
    assert.match(err.message, /npm rebuild better-sqlite3/);
    assert.equal(err.cause, cause);
  });

  it('refuses a module that is not a driver', () => {
    const err = catchError(() => loadSqliteDriver({ from: [import.meta.url], load: () => ({}) }));
    assert.ok(err instanceof FoxStoreError, String(err));
    assert.match(err.message, /is not the 'better-sqlite3' driver/);
  });

  it('a program without the driver runs tasks with policies and gets FoxStoreError from openStore', function () {
    this.timeout(60_000);
    // A fresh process in which `better-sqlite3` cannot be resolved from anywhere, as in a
    // project that did not install it; importing the sdk must not need it either.
    const hide = join(dir, 'hide-driver.cjs');
    writeFileSync(
      hide,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'better-sqlite3') {
    const err = new Error("Cannot find module 'better-sqlite3'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
`,
    );
    const program = `
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
const { fox } = await import(${JSON.stringify(SDK)});
const { openStore } = await import(${JSON.stringify(SDK_STORE)});
let calls = 0;
const flaky = fox({ mode: 'sfox', retry: { attempts: 3, delay: 1 }, timeout: 2000 },
  async function flaky(n) { if (++calls < 2) throw new Error('transient'); return n * 2; });
const value = await flaky(21);
const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('better-sqlite3'));
let error;
try { openStore({ path: '.fox/fox.db' }); } catch (e) { error = { name: e.name, code: e.code, message: e.message }; }
await fox.shutdown();
console.log(JSON.stringify({ value, calls, loaded, error, created: existsSync('.fox') }));
`;
    const run = spawnSync(
      process.execPath,
      [
        '--require',
        hide,
        '--import',
        TSX,
        '--conditions=source',
        '--input-type=module',
        '-e',
        program,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 50_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as {
      value: number;
      calls: number;
      loaded: boolean;
      error?: { name: string; code: string; message: string };
      created: boolean;
    };
    assert.equal(out.value, 42);
    assert.equal(out.calls, 2, 'the retry policy ran');
    assert.equal(out.loaded, false, 'running tasks did not load the driver');
    assert.equal(out.error?.name, 'FoxStoreError');
    assert.equal(out.error?.code, 'FOX_STORE');
    assert.match(out.error?.message ?? '', /npm i better-sqlite3/);
    assert.equal(out.created, false, 'nothing was created on disk');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}
