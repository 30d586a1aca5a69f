import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { loadOrCreateAuditKey } from '../../src/guardian/audit-key.js';
import {
  AuditLog,
  CHECKPOINT_EVERY_ENTRIES,
  CHECKPOINT_EVERY_MS,
  readCheckpoints,
  verifyAuditLog,
} from '../../src/guardian/audit-log.js';
import { auditPaths, verifyStoreAudit } from '../../src/guardian/paths.js';
import { openStore } from '../../src/store/index.js';
import { makeEnv, type Env } from './fixtures.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';
import { createFakeClock } from '../../src/testing/fake-clock.js';

const storeModule = fileURLToPath(new URL('../../src/store/index.ts', import.meta.url));
const pathsModule = fileURLToPath(new URL('../../src/guardian/paths.ts', import.meta.url));

function fill(audit: AuditLog, n: number): void {
  for (let i = 0; i < n; i++) {
    audit.append({
      type: i % 3 === 0 ? 'proposal' : 'decision',
      data: { i, note: `entry ${i}`, nested: { k: [i, 'x'] } },
    });
  }
}

/** Opens the db file raw, without the append-only triggers, as an attacker with the file would. */
function tamper(dbPath: string, edit: (db: Database.Database) => void): void {
  const db = new Database(dbPath);
  db.exec(
    'DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;',
  );
  edit(db);
  db.close();
}

function verifyFile(env: Env): ReturnType<typeof verifyAuditLog> {
  const { keyPath, checkpointsPath } = auditPaths(env.dbPath);
  let db: Database.Database;
  try {
    db = new Database(env.dbPath, { readonly: true });
  } catch (err) {
    return {
      ok: false,
      entries: 0,
      checkpoints: 0,
      checkpointedTo: 0,
      unsignedTail: 0,
      keyId: '',
      problems: [{ seq: null, problem: String(err) }],
    };
  }
  try {
    return verifyAuditLog(db, loadOrCreateAuditKey(keyPath), checkpointsPath);
  } catch (err) {
    return {
      ok: false,
      entries: 0,
      checkpoints: 0,
      checkpointedTo: 0,
      unsignedTail: 0,
      keyId: '',
      problems: [{ seq: null, problem: String(err) }],
    };
  } finally {
    db.close();
  }
}

describe('audit log', () => {
  let env: Env;
  beforeEach(() => (env = makeEnv()));
  afterEach(() => env.cleanup());

  it('chains entries and verifies clean', () => {
    fill(env.audit, 10);
    env.audit.close();
    const r = env.audit.verify();
    assert.deepEqual(r.problems, []);
    assert.equal(r.entries, 10);
    assert.equal(r.checkpointedTo, 10);
  });

  it('detects deleted checkpoints once 100 entries are uncovered', () => {
    fill(env.audit, 150);
    env.audit.close();
    assert.ok(env.audit.verify().ok);
    rmSync(auditPaths(env.dbPath).checkpointsPath);
    assert.match(JSON.stringify(env.audit.verify().problems), /checkpoints are missing/);
  });

  it('refuses UPDATE and DELETE through SQLite', () => {
    fill(env.audit, 2);
    const db = env.store.use(GUARDIAN_TABLES);
    assert.throws(() => db.prepare('UPDATE audit_log SET type = ?').run('x'), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
  });

  it('checkpoints every 100 entries and every second, signed, outside the db, after the commit', async () => {
    const { checkpointsPath, keyPath } = auditPaths(env.dbPath);
    const turn = () => new Promise((r) => setImmediate(r));
    fill(env.audit, CHECKPOINT_EVERY_ENTRIES - 1);
    await turn();
    assert.equal(readCheckpoints(checkpointsPath).length, 0);
    fill(env.audit, 1);
    // Not inside the append that made it due: on the next turn of the event loop.
    assert.equal(readCheckpoints(checkpointsPath).length, 0);
    await turn();
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [100],
    );
    env.clock.t += CHECKPOINT_EVERY_MS;
    fill(env.audit, 1);
    await turn();
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [100, 101],
    );
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.ok(env.audit.verify().ok);
  });

  it('writes a backlog of due checkpoints at once when the event loop has not turned', () => {
    const { checkpointsPath } = auditPaths(env.dbPath);
    fill(env.audit, CHECKPOINT_EVERY_ENTRIES + 50);
    assert.deepEqual(readCheckpoints(checkpointsPath), []);
    // The next due point finds the first still queued: both are written before it returns.
    fill(env.audit, 50);
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [100, 200],
    );
  });

  it('never checkpoints an entry whose transaction rolled back', async () => {
    const { checkpointsPath } = auditPaths(env.dbPath);
    fill(env.audit, CHECKPOINT_EVERY_ENTRIES - 1);
    const db = env.store.use(GUARDIAN_TABLES);
    assert.throws(() =>
      db.transaction(() => {
        env.audit.append({ type: 'decision', data: { doomed: true } });
        throw new Error('rolled back');
      })(),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(readCheckpoints(checkpointsPath), []);
    // The next entry takes seq 100 and is checkpointed.
    fill(env.audit, 1);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [100],
    );
    env.audit.close();
    assert.deepEqual(env.audit.verify().problems, []);
  });

  /** Appends `n` entries in a child process that then ends as `end` says. */
  function appendInChild(n: number, end: 'exit' | 'kill'): void {
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        '--input-type=module',
        '-e',
        `import { openStore } from ${JSON.stringify(storeModule)};
         import { openAuditLog } from ${JSON.stringify(pathsModule)};
         const store = openStore({ path: ${JSON.stringify(env.dbPath)} });
         const audit = openAuditLog(store.connection(), ${JSON.stringify(env.dbPath)});
         for (let i = 0; i < ${n}; i++) audit.append({ type: 'x', data: { i } });
         ${end === 'exit' ? 'process.exit(0)' : "process.kill(process.pid, 'SIGKILL')"};`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (end === 'exit') assert.equal(child.status, 0, child.stderr);
    else assert.equal(child.signal, 'SIGKILL', child.stderr);
  }

  it('writes a due checkpoint when the process exits before the event loop turns', () => {
    const { checkpointsPath } = auditPaths(env.dbPath);
    appendInChild(CHECKPOINT_EVERY_ENTRIES, 'exit');
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [CHECKPOINT_EVERY_ENTRIES],
    );
    assert.deepEqual(env.audit.verify().problems, []);
  });

  it('detects a forged checkpoint and a rewritten log', () => {
    fill(env.audit, 5);
    env.audit.close();
    const { checkpointsPath } = auditPaths(env.dbPath);
    const lines = readFileSync(checkpointsPath, 'utf8').trim().split('\n');
    const cp = JSON.parse(lines.at(-1)!) as { seq: number; hash: string };
    cp.hash = 'f'.repeat(64);
    writeFileSync(checkpointsPath, JSON.stringify(cp) + '\n');
    assert.match(JSON.stringify(env.audit.verify().problems), /signature is invalid/);
  });

  it('property: every single-byte row edit, deletion, reorder and tail truncation is detected', function () {
    this.timeout(120_000);
    fill(env.audit, 30);
    env.audit.close();
    const pristine = join(env.dir, 'pristine.db');
    env.store.use(GUARDIAN_TABLES).pragma('wal_checkpoint(TRUNCATE)');
    env.store.close();
    copyFileSync(env.dbPath, pristine);
    assert.ok(verifyFile(env).ok);
    const restore = () => copyFileSync(pristine, env.dbPath);

    const editByte = fc.record({
      kind: fc.constant('edit' as const),
      seq: fc.integer({ min: 1, max: 30 }),
      column: fc.constantFrom('entry', 'hash', 'prev_hash', 'id', 'type'),
      pos: fc.nat(),
      delta: fc.integer({ min: 1, max: 255 }),
    });
    const del = fc.record({
      kind: fc.constant('delete' as const),
      seq: fc.integer({ min: 1, max: 30 }),
    });
    const reorder = fc
      .record({
        kind: fc.constant('reorder' as const),
        a: fc.integer({ min: 1, max: 30 }),
        b: fc.integer({ min: 1, max: 30 }),
      })
      .filter((r) => r.a !== r.b);
    const truncate = fc.record({
      kind: fc.constant('truncate' as const),
      keep: fc.integer({ min: 0, max: 29 }),
    });

    fc.assert(
      fc.property(fc.oneof(editByte, del, reorder, truncate), (t) => {
        restore();
        tamper(env.dbPath, (db) => {
          if (t.kind === 'edit') {
            const row = db
              .prepare(`SELECT ${t.column} AS v FROM audit_log WHERE seq = ?`)
              .get(t.seq) as { v: string };
            const bytes = Buffer.from(row.v, 'utf8');
            const i = t.pos % bytes.length;
            bytes[i] = (bytes[i]! + t.delta) % 256;
            // STRICT TEXT column: an edit that breaks UTF-8 decodes to U+FFFD, still a change.
            db.prepare(`UPDATE audit_log SET ${t.column} = ? WHERE seq = ?`).run(
              bytes.toString('utf8'),
              t.seq,
            );
          } else if (t.kind === 'delete') {
            db.prepare('DELETE FROM audit_log WHERE seq = ?').run(t.seq);
          } else if (t.kind === 'reorder') {
            const get = db.prepare(
              'SELECT id, at, type, entry, prev_hash, hash FROM audit_log WHERE seq = ?',
            );
            const a = get.get(t.a) as Record<string, unknown>;
            const b = get.get(t.b) as Record<string, unknown>;
            const set = db.prepare(
              'UPDATE audit_log SET id = @id, at = @at, type = @type, entry = @entry, prev_hash = @prev_hash, hash = @hash WHERE seq = @seq',
            );
            set.run({ ...b, seq: t.a });
            set.run({ ...a, seq: t.b });
          } else {
            db.prepare('DELETE FROM audit_log WHERE seq > ?').run(t.keep);
          }
        });
        const r = verifyFile(env);
        assert.equal(r.ok, false, `undetected: ${JSON.stringify(t)}`);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('property: single-byte edits of the database file inside the log are detected', function () {
    this.timeout(120_000);
    // secure_delete zeroes freed pages, so every copy of a log value left in the file is the
    // live one (a stale copy in a free page is not part of the log and nobody reads it).
    env.store.use(GUARDIAN_TABLES).pragma('secure_delete = ON');
    fill(env.audit, 20);
    env.audit.close();
    env.store.use(GUARDIAN_TABLES).pragma('journal_mode = DELETE');
    env.store.close();
    const pristine = readFileSync(env.dbPath);
    // Where the log's bytes are in the file: every stored entry and hash.
    const db = new Database(env.dbPath, { readonly: true });
    const values = (
      db.prepare('SELECT entry, hash, prev_hash FROM audit_log').all() as Record<string, string>[]
    ).flatMap((r) => Object.values(r));
    db.close();
    const ranges: [number, number][] = [];
    for (const v of values) {
      const at = pristine.indexOf(Buffer.from(v, 'utf8'));
      if (at >= 0) ranges.push([at, Buffer.byteLength(v)]);
    }
    assert.ok(ranges.length >= 40);
    fc.assert(
      fc.property(
        fc.nat(ranges.length - 1),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (ri, off, delta) => {
          const [start, len] = ranges[ri]!;
          const copy = Buffer.from(pristine);
          const i = start + (off % len);
          copy[i] = (copy[i]! + delta) % 256;
          writeFileSync(env.dbPath, copy);
          assert.equal(verifyFile(env).ok, false);
        },
      ),
      { numRuns: 200, seed: 11 },
    );
    writeFileSync(env.dbPath, pristine);
    assert.ok(verifyFile(env).ok);
  });

  it('serialises appends from two connections into one chain', () => {
    const { keyPath, checkpointsPath } = auditPaths(env.dbPath);
    const store2 = openStore({ path: env.dbPath });
    const other = new AuditLog({
      db: store2.use(GUARDIAN_TABLES),
      key: loadOrCreateAuditKey(keyPath),
      checkpointsPath,
    });
    for (let i = 0; i < 20; i++) (i % 2 ? env.audit : other).append({ type: 'x', data: { i } });
    other.close();
    env.audit.close();
    assert.ok(env.audit.verify().ok);
    store2.close();
  });

  it('signs a quiet tail within CHECKPOINT_EVERY_MS of its last entry', () => {
    const { checkpointsPath } = auditPaths(env.dbPath);
    // A fresh log on a fake clock: its tail timer fires only when the test moves time.
    env.audit.close();
    const clock = createFakeClock({ wallNow: env.clock.now() });
    const audit = new AuditLog({
      db: env.store.use(GUARDIAN_TABLES),
      key: loadOrCreateAuditKey(auditPaths(env.dbPath).keyPath),
      checkpointsPath,
      clock,
    });
    try {
      fill(audit, 3);
      clock.tick(CHECKPOINT_EVERY_MS - 1);
      assert.deepEqual(readCheckpoints(checkpointsPath), []);
      clock.tick(1);
      assert.deepEqual(
        readCheckpoints(checkpointsPath).map((c) => c.seq),
        [3],
      );
      fill(audit, 2);
      clock.tick(CHECKPOINT_EVERY_MS);
      assert.deepEqual(
        readCheckpoints(checkpointsPath).map((c) => c.seq),
        [3, 5],
      );
    } finally {
      audit.close();
    }
  });

  it('signs every pending entry at exit, so deleting the tail of a short log is detected', () => {
    env.audit.close();
    env.store.close();
    appendInChild(5, 'exit');
    const { checkpointsPath } = auditPaths(env.dbPath);
    assert.deepEqual(
      readCheckpoints(checkpointsPath).map((c) => c.seq),
      [5],
    );
    // The independent test's attack: drop the trigger, delete all but the first entry.
    tamper(env.dbPath, (db) => db.prepare('DELETE FROM audit_log WHERE seq > 1').run());
    const r = verifyFile(env);
    assert.equal(r.ok, false);
    assert.match(JSON.stringify(r.problems), /truncated/);
  });

  it('reports a tail that a killed writer left unsigned, and verifying signs nothing', () => {
    env.audit.close();
    env.store.close();
    appendInChild(4, 'kill');
    const { checkpointsPath } = auditPaths(env.dbPath);
    assert.deepEqual(readCheckpoints(checkpointsPath), []);
    const store = openStore({ path: env.dbPath });
    try {
      const r = verifyStoreAudit(store.use(GUARDIAN_TABLES), env.dbPath);
      assert.equal(r.ok, true);
      assert.equal(r.unsignedTail, 4);
      assert.equal(r.keyId, loadOrCreateAuditKey(auditPaths(env.dbPath).keyPath).keyId);
    } finally {
      store.close();
    }
    assert.deepEqual(readCheckpoints(checkpointsPath), [], 'a verifier never signs');
  });
});
