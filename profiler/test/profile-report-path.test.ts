import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { profileMain } from '../src/index.js';
import { tempDir } from './helpers.js';

/**
 * `fox profile` says where the report went as an absolute path: `npm start` runs it in the
 * package's folder, so a path relative to its own working directory misleads the user, who
 * typed the command elsewhere.
 */
describe('fox profile: the report path it prints', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function run(args: string[]): Promise<{ code: number; path: string | undefined }> {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += String(d)));
    err.on('data', (d: Buffer) => (text += String(d)));
    const code = await profileMain(args, { stdout: out, stderr: err, env: process.env });
    return { code, path: /report written to (.+\.html)$/m.exec(text)?.[1] };
  }

  it('is absolute after a run and for a stored run (--report)', async () => {
    const store = join(tmp.dir, 'fox.db');
    const reports = join(tmp.dir, 'reports');
    const child = ['--', process.execPath, '-e', 'setTimeout(() => {}, 200)'];
    const live = await run(['--store', store, '--reports', reports, '--quiet', ...child]);
    assert.equal(live.code, 0);
    assert.ok(live.path && isAbsolute(live.path), `printed: ${live.path}`);
    assert.ok(live.path.startsWith(reports) && existsSync(live.path));

    const stored = await run(['--report', store, '--reports', reports]);
    assert.equal(stored.code, 0);
    assert.ok(stored.path && isAbsolute(stored.path), `printed: ${stored.path}`);
    assert.ok(stored.path.startsWith(reports) && existsSync(stored.path));
  });
});
