import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePathWith, workspaceModuleDirs } from '../../src/language/workspace-modules.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('workspace modules for the language server', () => {
  let root: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'fox-ws-')));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A workspace whose @fox/sdk is the repo's (linked, as `npm install file:` would). */
  function workspace(name: string, withSdk: boolean): string {
    const dir = join(root, name);
    mkdirSync(join(dir, 'node_modules', '@fox'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"w","private":true}');
    if (withSdk) symlinkSync(join(repoRoot, 'sdk'), join(dir, 'node_modules', '@fox', 'sdk'));
    return dir;
  }

  it("finds better-sqlite3 through the workspace's own @fox/sdk", () => {
    const dirs = workspaceModuleDirs([workspace('a', true), workspace('b', false)]);
    assert.deepEqual(dirs, [join(repoRoot, 'node_modules')]);
  });

  it('makes the module loadable by a plain `require` in a child given NODE_PATH', () => {
    const dirs = workspaceModuleDirs([workspace('a', true)]);
    const cwd = workspace('elsewhere', false); // nothing to resolve from here
    const out = execFileSync(
      process.execPath,
      ['-e', "const D = require('better-sqlite3'); console.log(new D(':memory:').open)"],
      { cwd, env: { ...process.env, NODE_PATH: nodePathWith(dirs, undefined) } },
    );
    assert.equal(out.toString().trim(), 'true');
  });

  it('finds nothing without @fox/sdk, and keeps an existing NODE_PATH after its own', () => {
    assert.deepEqual(workspaceModuleDirs([workspace('c', false), join(root, 'missing')]), []);
    assert.equal(nodePathWith(['/a'], `/b${delimiter}/a`), `/a${delimiter}/b`);
    assert.equal(nodePathWith([], undefined), '');
  });
});
