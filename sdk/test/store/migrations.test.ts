import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CHAOS_REPORTS, CHAOS_SCHEMA } from '../../src/chaos/report-store.js';
import { FoxStoreTooNewError } from '../../src/errors/errors.js';
import { GUARDIAN_SCHEMA, GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';
import {
  DEFAULT_RETENTION_MS,
  STORE_FORMAT_VERSION,
  STORE_SCHEMA,
  openStore,
  runMigrations,
  storeFormatVersion,
} from '../../src/store/index.js';
import type { SchemaMigration, SubsystemSchema } from '../../src/store/index.js';
import { aggregateRow, processRow, spanRow, taskRow, tempDir } from './sample-rows.js';

/**
 * How a store file looked before the migration runner: one list of migrations, its version in
 * `PRAGMA user_version`. Version 1 and 2 were the store's telemetry tables, 3 the guardian's
 * tables and the chaos reports (the same DDL the subsystems now declare: shipped migrations
 * never change). Files like these exist in users' `.fox/` folders and must upgrade.
 */
const LEGACY_STEPS: readonly (readonly SchemaMigration[])[] = [
  [STORE_SCHEMA.migrations[0]!],
  [STORE_SCHEMA.migrations[1]!],
  [GUARDIAN_SCHEMA.migrations[0]!, CHAOS_SCHEMA.migrations[0]!],
];

/** Builds a pre-runner file at `userVersion`, seeding each step's sample rows after it ran. */
function legacyStore(dbPath: string, userVersion: number): void {
  const db = new Database(dbPath);
  LEGACY_STEPS.slice(0, userVersion).forEach((step, i) => {
    db.transaction(() => {
      for (const m of step) m.up(db);
      db.pragma(`user_version = ${i + 1}`);
    })();
    SAMPLES[i + 1]!.seed(db);
  });
  db.close();
}

/**
 * Sample data written with raw SQL right after legacy version `n` ran, and a check that it
 * reads back through the store and the subsystems' queries after upgrading.
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
          const db = store.use(GUARDIAN_TABLES);
          assert.equal(
            store.use(CHAOS_REPORTS).get('01JEXP0000000000000000001')?.outcome,
            'completed',
          );
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

  // Up to and including the last pre-runner version (3, what the code before the runner made).
  for (let from = 0; from <= LEGACY_STEPS.length; from++) {
    it(`upgrades a pre-runner store at user_version ${from}, keeping its rows`, () => {
      const dbPath = join(dir, 'fox.db');
      legacyStore(dbPath, from);

      const store = openStore({ path: dbPath });
      assert.equal(store.schemaVersion, STORE_FORMAT_VERSION);
      if (from < 2) assert.equal(store.retentionMs(), DEFAULT_RETENTION_MS);
      store.use(GUARDIAN_TABLES);
      store.use(CHAOS_REPORTS);
      assert.deepEqual(Object.fromEntries(store.schemaVersions()), {
        chaos: 1,
        guardian: 2,
        store: 2,
      });
      store.close();
      for (let v = 1; v <= from; v++) SAMPLES[v]!.check(dbPath);
    });
  }

  it('adopts a pre-runner file at the versions its tables are at, running nothing twice', () => {
    const dbPath = join(dir, 'fox.db');
    legacyStore(dbPath, 3);
    const store = openStore({ path: dbPath });
    // Adopted, not re-run: re-running guardian 1 would fail on the existing audit_log table.
    assert.deepEqual(Object.fromEntries(store.schemaVersions()), { store: 2 });
    store.use(GUARDIAN_TABLES);
    // Adopted at 1, then migrated on: 2 adds an index.
    assert.equal(store.schemaVersions().get('guardian'), 2);
    store.close();
  });

  it('a fresh store has its own tables and the default retention; subsystems add theirs on use', () => {
    const store = openStore({ path: ':memory:' });
    assert.equal(store.schemaVersion, STORE_FORMAT_VERSION);
    assert.equal(store.retentionMs(), DEFAULT_RETENTION_MS);
    assert.deepEqual(Object.fromEntries(store.schemaVersions()), { store: 2 });
    assert.deepEqual(store.use(CHAOS_REPORTS).latest(10), []);
    assert.equal(store.schemaVersions().get('chaos'), 1);
    store.close();
  });

  it('runs subsystems in the order given, each migration once', () => {
    const db = new Database(':memory:');
    const ran: string[] = [];
    const schema = (subsystem: string, n: number): SubsystemSchema => ({
      subsystem,
      migrations: Array.from({ length: n }, (_, i) => ({
        version: i + 1,
        name: `${subsystem}${i + 1}`,
        up: () => void ran.push(`${subsystem}${i + 1}`),
      })),
    });
    runMigrations(db, [schema('a', 2), schema('b', 1)]);
    runMigrations(db, [schema('a', 3), schema('b', 1)]);
    assert.deepEqual(ran, ['a1', 'a2', 'b1', 'a3']);
    assert.equal(storeFormatVersion(db), STORE_FORMAT_VERSION);
    db.close();
  });

  it('rolls a failing migration back and stays at the previous version', () => {
    const db = new Database(':memory:');
    const broken: SubsystemSchema = {
      subsystem: 'x',
      migrations: [
        { version: 1, name: 'ok', up: (d) => d.exec('CREATE TABLE ok (x INTEGER)') },
        {
          version: 2,
          name: 'broken',
          up(d) {
            d.exec('CREATE TABLE half_done (x INTEGER)');
            throw new Error('boom');
          },
        },
      ],
    };
    assert.throws(() => runMigrations(db, [broken]), /migration x 2 \(broken\) failed/);
    assert.equal(
      db.prepare("SELECT version FROM schema_versions WHERE subsystem = 'x'").pluck().get(),
      1,
    );
    const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get();
    assert.equal(table, undefined);
    db.close();
  });

  it('rejects a migration list with a gap', () => {
    const db = new Database(':memory:');
    const gap: SubsystemSchema = {
      subsystem: 'x',
      migrations: [{ version: 2, name: 'gap', up: () => {} }],
    };
    assert.throws(() => runMigrations(db, [gap]), /expected 1/);
    db.close();
  });

  it('refuses a file in a newer format and leaves it untouched', () => {
    const dbPath = join(dir, 'future.db');
    const db = new Database(dbPath);
    db.exec('CREATE TABLE from_the_future (x INTEGER)');
    db.pragma(`user_version = ${STORE_FORMAT_VERSION + 1}`);
    db.close();

    assert.throws(
      () => openStore({ path: dbPath }),
      (err: unknown) =>
        err instanceof FoxStoreTooNewError &&
        err.code === 'FOX_STORE_TOO_NEW' &&
        err.subsystem === 'format' &&
        err.found === STORE_FORMAT_VERSION + 1,
    );

    const after = new Database(dbPath, { readonly: true });
    assert.equal(storeFormatVersion(after), STORE_FORMAT_VERSION + 1);
    assert.equal(after.pragma('journal_mode', { simple: true }), 'delete');
    after.close();
  });

  it('refuses a subsystem newer than the code, on open and on use', () => {
    const dbPath = join(dir, 'fox.db');
    openStore({ path: dbPath }).close();
    const db = new Database(dbPath);
    db.prepare("UPDATE schema_versions SET version = 99 WHERE subsystem = 'store'").run();
    db.prepare("INSERT INTO schema_versions VALUES ('chaos', 7)").run();
    db.close();
    assert.throws(
      () => openStore({ path: dbPath }),
      (err: unknown) =>
        err instanceof FoxStoreTooNewError && err.subsystem === 'store' && err.found === 99,
    );

    const fix = new Database(dbPath);
    fix.prepare("UPDATE schema_versions SET version = 2 WHERE subsystem = 'store'").run();
    fix.close();
    const store = openStore({ path: dbPath });
    try {
      assert.throws(
        () => store.use(CHAOS_REPORTS),
        (err: unknown) =>
          err instanceof FoxStoreTooNewError && err.subsystem === 'chaos' && err.supported === 1,
      );
    } finally {
      store.close();
    }
  });
});
