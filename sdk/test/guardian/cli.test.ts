import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { approvalsMain } from '../../src/cli/approvals.js';
import { auditMain } from '../../src/cli/audit.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { makePendingProposal, type Env } from './fixtures.js';
import { captureIo } from '../cli/capture-io.js';

describe('fox approvals / fox audit', () => {
  let env: Env;
  let g: Guardian;
  let id: string;
  beforeEach(async () => ({ env, g, id } = await makePendingProposal()));
  afterEach(() => {
    g.close();
    env.cleanup();
  });
  const store = () => ['--store', env.dbPath];

  it('lists and shows pending proposals', async () => {
    const c = captureIo();
    assert.equal(await approvalsMain(['list', ...store()], c.io), 0);
    assert.match(c.out.join('\n'), new RegExp(`${id}\\s+pending\\s+policy-change`));
    const s = captureIo();
    assert.equal(await approvalsMain(['show', id, ...store(), '--json'], s.io), 0);
    const shown = JSON.parse(s.out.join('\n')) as { payloadHash: string; approvers: string[] };
    assert.deepEqual(shown.approvers, ['alice', 'bob']);
  });

  it('approves as a named identity bound to the shown payload; refuses bad input', async () => {
    const self = captureIo();
    assert.equal(await approvalsMain(['approve', id, '--as', 'alice', ...store()], self.io), 1);
    assert.match(self.err.join(''), /GUARDIAN_SELF_APPROVAL/);
    const wrong = captureIo();
    assert.equal(
      await approvalsMain(
        ['approve', id, '--as', 'bob', '--hash', 'ab'.repeat(32), ...store()],
        wrong.io,
      ),
      1,
    );
    assert.match(wrong.err.join(''), /GUARDIAN_HASH_MISMATCH/);
    assert.equal(await approvalsMain(['approve', id, ...store()], captureIo().io), 2); // no --as
    assert.equal(
      await approvalsMain(['approve', 'NOPE', '--as', 'bob', ...store()], captureIo().io),
      2,
    );
    assert.equal(await approvalsMain(['frobnicate', ...store()], captureIo().io), 2);
    assert.equal(
      await approvalsMain(['list', '--store', join(env.dir, 'none.db')], captureIo().io),
      2,
    );
    assert.equal(await approvalsMain(['list', '--state', 'weird', ...store()], captureIo().io), 2);
    const ok = captureIo();
    assert.equal(await approvalsMain(['approve', id, '--as', 'bob', ...store()], ok.io), 0);
    assert.match(ok.out.join(''), /approved/);
    assert.equal(g.get(id)?.state, 'approved');
  });

  it('rejects', async () => {
    const c = captureIo();
    assert.equal(
      await approvalsMain(
        ['reject', id, '--as', 'bob', '--comment', 'too risky', ...store()],
        c.io,
      ),
      0,
    );
    assert.equal(g.get(id)?.state, 'denied');
  });

  it('audit verify passes on a clean log and fails (exit 1) on a tampered one; export writes JSONL', async () => {
    env.audit.close();
    const v = captureIo();
    assert.equal(await auditMain(['verify', ...store()], v.io), 0, v.out.join('\n'));
    assert.match(v.out[0]!, /^OK: 1 entries, 1 checkpoints, signed through seq 1, 0 unsigned/);
    assert.match(v.out[1]!, /^ {2}key [A-Za-z0-9_-]{43}$/);
    assert.equal(
      await auditMain(['verify', '--require-signed-tail', ...store()], captureIo().io),
      0,
    );
    const out = join(env.dir, 'audit.jsonl');
    assert.equal(await auditMain(['export', '--out', out, ...store()], captureIo().io), 0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; seq: number; type: string });
    // The export's header, the entry, and the checkpoint that signs it (docs/audit-export.md).
    assert.deepEqual(
      lines.map((l) => [l.kind, l.seq, l.type]),
      [
        ['fox-audit-export', undefined, undefined],
        ['entry', 1, 'proposal'],
        ['checkpoint', 1, undefined],
      ],
    );
    const raw = new Database(env.dbPath);
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw
      .prepare("UPDATE audit_log SET entry = replace(entry, 'retry', 'retrx') WHERE seq = 1")
      .run();
    raw.close();
    const bad = captureIo();
    assert.equal(await auditMain(['verify', ...store()], bad.io), 1);
    assert.match(bad.out.join('\n'), /TAMPERED/);
    assert.equal(await auditMain(['export', '--since', '-1', ...store()], captureIo().io), 2);
    assert.equal(await auditMain([], captureIo().io), 2);
  });

  it('audit verify --require-signed-tail fails on entries after the last checkpoint', async () => {
    // The guardian's log is open and its tail (the proposal) not signed yet: a writer killed
    // now would leave it so.
    const plain = captureIo();
    assert.equal(await auditMain(['verify', ...store()], plain.io), 0);
    assert.match(plain.out[0]!, /signed through seq 0, 1 unsigned after it/);
    const strict = captureIo();
    assert.equal(await auditMain(['verify', '--require-signed-tail', ...store()], strict.io), 1);
    assert.match(strict.out.join('\n'), /1 entries after the last checkpoint are not signed/);
  });
});
