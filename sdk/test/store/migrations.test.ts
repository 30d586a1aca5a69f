import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FoxStoreError } from '../../src/errors/errors.js';
import {
  DEFAULT_RETENTION_MS,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  migrate,
  openStore,
  schemaVersion,
} from '../../src/store/index.js';
import type { Migration } from '../../src/store/index.js';
import { aggregateRow, processRow, spanRow, taskRow, tempDir } from './sample-rows.js';

/**
 * Sample data written with raw SQL right after migration `version` ran, and a check that it
 * reads back through the store after upgrading to the latest version. A new migration must add
 * an entry here (the first test enforces it), so every upgrade path is exercised with data.
 */
const SAMPLES: Record<number, { seed(db: Database.Database): void; check(dbPath: string): void }> =
  {
    1: {
      seed(db) {
        const p = processRow();
        db.prepare('INSERT INTO processes VALUES (?, ?, ?, ?, ?, ?)').run(
          p.id,
          p.pid,
          p.startedAt,
          JSON.stringify(p.argv),
          p.nodeVersion,
          p.projectRoot,
        );
        const t = taskRow();
        db.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          t.id,
          t.mode,
          t.sourceFile,
          t.line,
          t.column,
          t.firstSeen,
          t.lastSeen,
        );
        const a = aggregateRow();
        db.prepare(
          `INSERT INTO aggregates (process_id, task_id, at, calls, successes, errors,
             errors_by_code, histogram, p50, p90, p99, max, in_flight, queued, "limit")
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          a.processId,
          a.taskId,
          a.at,
          a.calls,
          a.successes,
          a.errors,
          JSON.stringify(a.errorsByCode),
          a.histogram,
          a.p50,
          a.p90,
          a.p99,
          a.max,
          a.inFlight,
          a.queued,
          a.limit,
        );
      },
      check(dbPath) {
        const store = openStore({ path: dbPath });
        try {
          assert.deepEqual(store.tasks(), [taskRow()]);
          assert.deepEqual(store.latestAggregates(), [aggregateRow()]);
        } finally {
          store.close();
        }
      },
    },
    2: {
      seed(db) {
        const s = spanRow();
        db.prepare('INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
          s.runId,
          s.parentRunId,
          s.taskId,
          s.processId,
          s.start,
          s.duration,
          s.outcome,
          s.attempt,
          s.strategy,
        );
        db.prepare('UPDATE meta SET value = ? WHERE key = ?').run('3600000', 'retention_ms');
      },
      check(dbPath) {
        const store = openStore({ path: dbPath });
        try {
          assert.deepEqual(store.taskSpans(spanRow().taskId, 0), [spanRow()]);
          assert.equal(store.retentionMs(), 3_600_000);
        } finally {
          store.close();
        }
      },
    },
    3: {
      seed(db) {
        db.prepare(
          `INSERT INTO proposals (id, kind, task_id, payload, payload_hash, impact, proposer,
             evidence, created_at, expires_at, state, required, approvers, reason, owner, updated_at)
           VALUES ('01JPROPOSAL000000000000001', 'policy-change', 'src/images.ts#resize',
             '{"config":{"attempts":5},"policy":"retry"}', 'h', 'medium', 'tuner', NULL,
             1000, 2000, 'pending', 1, '["alice"]', NULL, NULL, 1000)`,
        ).run();
        db.prepare(
          `INSERT INTO approvals VALUES ('01JPROPOSAL000000000000001', 'alice', 'approve', 'h', 1500, NULL)`,
        ).run();
        db.prepare(
          `INSERT INTO audit_log VALUES (1, '01JAUDIT00000000000000001', 1000, 'proposal', '{}', ?, 'x')`,
        ).run('0'.repeat(64));
        db.prepare(
          `INSERT INTO chaos_reports VALUES ('01JEXP0000000000000000001', 'latency', 1, 2, 'completed', '{}')`,
        ).run();
      },
      check(dbPath) {
        const store = openStore({ path: dbPath });
        try {
          const db = store.connection();
          assert.deepEqual(db.prepare('SELECT state, approvers FROM proposals').all(), [
            { state: 'pending', approvers: '["alice"]' },
          ]);
          assert.equal(db.prepare('SELECT count(*) AS n FROM approvals').pluck().get(), 1);
          assert.equal(
            db.prepare('SELECT type FROM audit_log WHERE seq = 1').pluck().get(),
            'proposal',
          );
          assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
          assert.equal(db.prepare('SELECT outcome FROM chaos_reports').pluck().get(), 'completed');
        } finally {
          store.close();
        }
      },
    },
  };

describe('store migrations', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('are numbered 1..n without gaps, and each has sample data in this test', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, i) => i + 1),
    );
    assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
    assert.ok(LATEST_SCHEMA_VERSION >= 2);
    for (const m of MIGRATIONS) assert.ok(SAMPLES[m.version], `no sample for v${m.version}`);
  });

  // Up to and including the latest version: reopening a current file must be a no-op too.
  for (let from = 0; from <= MIGRATIONS.length; from++) {
    it(`opens a store at version ${from} at the latest version, keeping its data`, () => {
      const dbPath = join(dir, 'fox.db');
      const db = new Database(dbPath);
      for (const m of MIGRATIONS.slice(0, from)) {
        migrate(db, MIGRATIONS.slice(0, m.version));
        SAMPLES[m.version]?.seed(db);
      }
      assert.equal(schemaVersion(db), from);
      db.close();

      const store = openStore({ path: dbPath });
      assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
      if (from < 2) assert.equal(store.retentionMs(), DEFAULT_RETENTION_MS);
      store.close();
      for (const m of MIGRATIONS.slice(0, from)) SAMPLES[m.version]?.check(dbPath);
    });
  }

  it('a fresh store has every table and the default retention', () => {
    const store = openStore({ path: ':memory:' });
    assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
    assert.equal(store.retentionMs(), DEFAULT_RETENTION_MS);
    store.close();
  });

  it('rolls a failing migration back and stays at the previous version', () => {
    const db = new Database(':memory:');
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('boom');
      },
    };
    const first = MIGRATIONS[0];
    assert.ok(first);
    assert.throws(() => migrate(db, [first, broken]), /migration 2 \(broken\) failed/);
    assert.equal(schemaVersion(db), 1);
    const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get();
    assert.equal(table, undefined);
    db.close();
  });

  it('rejects a migration list with a gap', () => {
    const db = new Database(':memory:');
    const gap: Migration = { version: 3, name: 'gap', up: () => {} };
    assert.throws(() => migrate(db, [...MIGRATIONS.slice(0, 1), gap]), /expected 2/);
    db.close();
  });

  it('refuses a store from a newer sdk and leaves the file untouched', () => {
    const dbPath = join(dir, 'future.db');
    const db = new Database(dbPath);
    db.exec('CREATE TABLE from_the_future (x INTEGER)');
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();

    assert.throws(
      () => openStore({ path: dbPath }),
      (err: unknown) =>
        err instanceof FoxStoreError &&
        err.code === 'FOX_STORE' &&
        /newer than this @fox\/sdk supports/.test(err.message),
    );

    const after = new Database(dbPath, { readonly: true });
    assert.equal(schemaVersion(after), LATEST_SCHEMA_VERSION + 1);
    assert.equal(after.pragma('journal_mode', { simple: true }), 'delete');
    after.close();
  });
});
