import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { profileMain } from '../src/index.js';
import { tempDir } from './helpers.js';

/**
 * `fox profile` refuses a flag it does not take — exit 2, naming it, with the usage — and
 * starts nothing, rather than ignoring it or running it as the program. What follows `--` is
 * the program's, its own flags included.
 */
describe('fox profile: strict flags', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = new PassThrough();
    const err = new PassThrough();
    const text = { out: '', err: '' };
    out.on('data', (d: Buffer) => (text.out += String(d)));
    err.on('data', (d: Buffer) => (text.err += String(d)));
    const code = await profileMain(args, { stdout: out, stderr: err, env: process.env });
    return { code, ...text };
  }

  /** A program that leaves a file behind if it ever runs. */
  const program = () => {
    const ran = join(tmp.dir, 'ran');
    const cmd = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(ran)}, '')`];
    return { ran, cmd };
  };

  it('refuses a misspelled flag, naming it, and runs nothing', async () => {
    const { ran, cmd } = program();
    for (const [args, named] of [
      [['--no-stroe', '--quiet', '--', ...cmd], /^fox profile: unknown flag --no-stroe\n/],
      [['--reprot', join(tmp.dir, 'fox.db')], /^fox profile: unknown flag --reprot\n/],
      [['-x', '--', ...cmd], /^fox profile: unknown flag -x\n/],
      [['--port', '--', ...cmd], /^fox profile: .*--port/],
      [['--store', 'a.db', '--no-store', '--', ...cmd], /--store or --no-store/],
      [['--session', 'S', '--', ...cmd], /--session goes with --report/],
      [['--quiet', ...cmd], /unknown flag -e \(the command goes after --\)/],
      [['--quiet', 'node'], /unexpected argument 'node' \(the command goes after --\)/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, named);
      assert.match(r.err, /usage: fox profile/);
      assert.equal(r.out, '');
    }
    assert.equal(existsSync(ran), false, 'no program ran');
  });

  it('hands everything after -- to the program, and still runs a program given without --', async () => {
    // Only the first `--` is fox profile's: the second is node's, before the script's flags.
    const seen = `process.exit(process.argv.slice(1).join(' ') === '--hsah x --quiet' ? 5 : 6)`;
    const args = ['--no-store', '--no-report', '--quiet'];
    assert.equal(
      (await run([...args, '--', process.execPath, '-e', seen, '--', '--hsah', 'x', '--quiet']))
        .code,
      5,
    );
    const { ran, cmd } = program();
    assert.equal((await run(cmd)).code, 0);
    assert.equal(existsSync(ran), true);
    const help = await run(['-h']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: fox profile/);
  });
});
