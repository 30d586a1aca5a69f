import type { SqliteDatabase as Database } from './driver.js';

/**
 * Versioned schema migrations of the Fox store. `PRAGMA user_version` holds the version the file
 * is at; {@link migrate} runs every migration above it, each in its own transaction together with
 * the version bump, so a crash leaves the file at a consistent version.
 *
 * To change the schema, append one entry to {@link MIGRATIONS} with the next version number.
 * Never edit or reorder a migration that has shipped: files in the wild are already past it.
 */
export interface Migration {
  /** 1, 2, 3, … with no gaps; the file's `user_version` after this migration ran. */
  readonly version: number;
  /** Short description, used in error messages. */
  readonly name: string;
  /** Runs inside a transaction; must not start or commit one itself. */
  up(db: Database): void;
}

/** Default retention of aggregates and spans, written to `meta` by migration 2: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** `meta` key holding the retention period in milliseconds (decimal string). */
export const RETENTION_META_KEY = 'retention_ms';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'processes, tasks and aggregates',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE processes (
          id           TEXT PRIMARY KEY,
          pid          INTEGER NOT NULL,
          started_at   INTEGER NOT NULL,
          argv         TEXT NOT NULL,
          node_version TEXT NOT NULL,
          project_root TEXT NOT NULL
        ) STRICT;

        CREATE TABLE tasks (
          id          TEXT PRIMARY KEY,
          mode        TEXT NOT NULL,
          source_file TEXT,
          line        INTEGER,
          "column"    INTEGER,
          first_seen  INTEGER NOT NULL,
          last_seen   INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE aggregates (
          process_id     TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
          task_id        TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
          at             INTEGER NOT NULL,
          calls          INTEGER NOT NULL,
          successes      INTEGER NOT NULL,
          errors         INTEGER NOT NULL,
          errors_by_code TEXT NOT NULL DEFAULT '{}',
          histogram      BLOB,
          p50            REAL NOT NULL,
          p90            REAL NOT NULL,
          p99            REAL NOT NULL,
          max            REAL NOT NULL,
          in_flight      INTEGER NOT NULL,
          queued         INTEGER NOT NULL,
          "limit"        REAL,
          PRIMARY KEY (task_id, process_id, at)
        ) STRICT;

        CREATE INDEX aggregates_task_at ON aggregates (task_id, at);
        CREATE INDEX aggregates_process ON aggregates (process_id);
      `);
    },
  },
  {
    version: 2,
    name: 'spans and retention',
    up(db) {
      db.exec(`
        CREATE TABLE spans (
          run_id        TEXT PRIMARY KEY,
          parent_run_id TEXT,
          task_id       TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
          process_id    TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
          start         REAL NOT NULL,
          duration      REAL NOT NULL,
          outcome       TEXT NOT NULL,
          attempt       INTEGER NOT NULL,
          strategy      TEXT NOT NULL
        ) STRICT;

        CREATE INDEX spans_task_start ON spans (task_id, start);
        CREATE INDEX spans_process ON spans (process_id);
      `);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
        RETENTION_META_KEY,
        String(DEFAULT_RETENTION_MS),
      );
    },
  },
  {
    version: 3,
    name: 'audit log, proposals, approvals and chaos reports',
    up(db) {
      // The audit log is append-only: the triggers refuse UPDATE and DELETE through SQLite.
      // Someone editing the file directly gets past them; the hash chain and the signed
      // checkpoints kept outside the file are what detect that (see guardian/audit-log.ts).
      db.exec(`
        CREATE TABLE audit_log (
          seq       INTEGER PRIMARY KEY,
          id        TEXT NOT NULL,
          at        INTEGER NOT NULL,
          type      TEXT NOT NULL,
          entry     TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash      TEXT NOT NULL
        ) STRICT;

        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

        CREATE TABLE proposals (
          id           TEXT PRIMARY KEY,
          kind         TEXT NOT NULL,
          task_id      TEXT,
          payload      TEXT NOT NULL,
          payload_hash TEXT NOT NULL,
          impact       TEXT NOT NULL,
          proposer     TEXT NOT NULL,
          evidence     TEXT,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          state        TEXT NOT NULL,
          required     INTEGER NOT NULL,
          approvers    TEXT NOT NULL,
          reason       TEXT,
          owner        TEXT,
          updated_at   INTEGER NOT NULL
        ) STRICT;

        CREATE INDEX proposals_state ON proposals (state, created_at);

        CREATE TABLE approvals (
          proposal_id  TEXT NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
          approver     TEXT NOT NULL,
          verdict      TEXT NOT NULL,
          payload_hash TEXT NOT NULL,
          at           INTEGER NOT NULL,
          comment      TEXT,
          PRIMARY KEY (proposal_id, approver)
        ) STRICT;

        CREATE TABLE chaos_reports (
          experiment_id TEXT PRIMARY KEY,
          name          TEXT NOT NULL,
          started_at    INTEGER NOT NULL,
          ended_at      INTEGER NOT NULL,
          outcome       TEXT NOT NULL,
          report        TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];

/** Schema version a freshly opened store ends at. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The file's schema version (`PRAGMA user_version`). */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` up to the last version in `migrations`, one transaction per migration. Returns the
 * version reached. Throws (leaving the file at the last completed version) when a migration fails
 * or when the file is already past the list: the caller decides how to report that.
 *
 * Each transaction is `BEGIN IMMEDIATE` and re-reads the version inside it, so two processes
 * opening the same new file at once (the profiler and the program it watches) do not both run
 * the same migration.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  assertOrdered(migrations);
  const target = migrations[migrations.length - 1]?.version ?? 0;
  const current = schemaVersion(db);
  if (current > target) {
    throw new Error(`schema version ${current} is newer than the latest known (${target})`);
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      if (schemaVersion(db) >= migration.version) return; // another connection got here first
      try {
        migration.up(db);
      } catch (err) {
        throw new Error(`migration ${migration.version} (${migration.name}) failed`, {
          cause: err,
        });
      }
      // user_version lives in the file header, which the transaction covers: it rolls back too.
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version !== i + 1) {
      throw new Error(`migration '${m.name}' has version ${m.version}; expected ${i + 1}`);
    }
  });
}
