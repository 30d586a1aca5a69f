import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { approvalsMain } from '../../src/cli/approvals.js';
import { auditMain } from '../../src/cli/audit.js';
import { chaosMain } from '../../src/cli/chaos.js';
import { killFilePath } from '../../src/chaos/kill-switch.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { makePendingProposal, type Env } from '../guardian/fixtures.js';
import { captureIo } from './capture-io.js';

/**
 * Every `fox` command of the sdk refuses a flag it does not take — exit 2, naming it, with the
 * usage — rather than ignoring it: a misspelled `--hash` must not bind a vote to whatever the
 * payload is now, nor a misspelled `--require-signed-tail` pass a weaker check.
 */
describe('fox CLIs refuse flags they do not take', () => {
  let env: Env;
  let g: Guardian;
  let id: string;
  beforeEach(async () => ({ env, g, id } = await makePendingProposal()));
  afterEach(() => {
    g.close();
    env.cleanup();
  });
  const store = () => ['--store', env.dbPath];

  /** Runs a CLI expecting a usage error; returns what it wrote to stderr. */
  async function refused(
    main: (argv: string[], io: ReturnType<typeof captureIo>['io']) => Promise<number>,
    argv: string[],
  ): Promise<string> {
    const c = captureIo();
    assert.equal(await main(argv, c.io), 2, `exit code of ${argv.join(' ')}`);
    assert.deepEqual(c.out, []);
    return c.err.join('\n');
  }

  it('fox approvals approve ID --hsah H --as bob: exit 2 naming --hsah, and no vote', async () => {
    const hash = 'ab'.repeat(32);
    const err = await refused(approvalsMain, [
      'approve',
      id,
      '--hsah',
      hash,
      '--as',
      'bob',
      ...store(),
    ]);
    assert.match(err, /^fox approvals: unknown flag --hsah\n/);
    assert.match(err, /usage: fox approvals/);
    assert.equal(g.get(id)?.state, 'pending');
    assert.deepEqual(g.get(id)?.votes, []);
    // Spelled right, the same vote is bound to that hash (which is not the payload's).
    const c = captureIo();
    assert.equal(
      await approvalsMain(['approve', id, '--hash', hash, '--as', 'bob', ...store()], c.io),
      1,
    );
    assert.match(c.err.join(''), /GUARDIAN_HASH_MISMATCH/);
  });

  it('fox approvals: also a short flag, a flag of another command, a stray word or `--`', async () => {
    assert.match(await refused(approvalsMain, ['list', '-x', ...store()]), /unknown flag -x/);
    assert.match(
      await refused(approvalsMain, ['list', '--as', 'bob', ...store()]),
      /list takes no --as/,
    );
    assert.match(
      await refused(approvalsMain, ['approve', id, 'bob', ...store()]),
      /unexpected argument 'bob'/,
    );
    assert.match(
      await refused(approvalsMain, ['approve', id, '--as', 'bob', ...store(), '--', '--hash']),
      /unexpected argument '--hash'/,
    );
    // A value that looks like a flag is refused too (`--as=--x` says it is meant).
    assert.match(await refused(approvalsMain, ['approve', id, '--as', '--hash']), /--as/);
    assert.equal(g.get(id)?.state, 'pending');
    // --flag=value and -h still work.
    const ok = captureIo();
    assert.equal(
      await approvalsMain(['approve', id, '--as=bob', `--store=${env.dbPath}`], ok.io),
      0,
    );
    assert.equal(g.get(id)?.state, 'approved');
    assert.equal(await approvalsMain(['-h'], captureIo().io), 0);
  });

  it('fox audit verify --requrie-signed-tail: exit 2 naming it, not a weaker check', async () => {
    env.audit.close();
    const err = await refused(auditMain, ['verify', '--requrie-signed-tail', ...store()]);
    assert.match(err, /^fox audit: unknown flag --requrie-signed-tail\n/);
    assert.match(err, /usage: fox audit/);
    assert.match(
      await refused(auditMain, ['verify', '--out', 'x', ...store()]),
      /verify takes no --out/,
    );
    assert.match(
      await refused(auditMain, ['export', '--sicne', '3', ...store()]),
      /unknown flag --sicne/,
    );
  });

  it('fox chaos: run, kill and reports refuse a misspelled flag and do nothing', async () => {
    const exp = join(env.dir, 'exp.json');
    writeFileSync(
      exp,
      JSON.stringify({
        name: 'slow',
        seed: 9,
        hypothesis: { probes: [{ metric: 'errorRate', max: 0.1 }] },
        method: [{ fault: { type: 'latency', ms: 5 }, target: { tasks: ['**'], rate: 0.1 } }],
        durationMs: 1000,
      }),
    );
    const ran = join(env.dir, 'ran');
    const child = [
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(ran)}, '')`,
    ];
    const err = await refused(chaosMain, ['run', exp, '--sotre', env.dbPath, '--', ...child]);
    assert.match(err, /^fox chaos: unknown flag --sotre\n/);
    assert.equal(existsSync(ran), false, 'the child never started');

    assert.match(
      await refused(chaosMain, ['kill', '--reson', 'x', ...store()]),
      /unknown flag --reson/,
    );
    assert.equal(existsSync(killFilePath(env.dbPath)), false, 'the kill switch is not on');
    assert.match(
      await refused(chaosMain, ['reports', '--jsno', ...store()]),
      /unknown flag --jsno/,
    );
    assert.match(
      await refused(chaosMain, ['validate', exp, '--store', 'x']),
      /validate takes no --store/,
    );

    // What follows `--` is the child's, flags included, untouched.
    assert.equal(
      await chaosMain(['run', exp, `--store=${env.dbPath}`, '--', ...child], captureIo().io),
      0,
    );
    assert.equal(existsSync(ran), true);
  });
});
