import type { SqliteDatabase as Database } from '../store/driver.js';
import { tableExists, type SubsystemSchema } from '../store/migration-runner.js';
import type { StoreModule } from '../store/store-module.js';

/**
 * The guardian's tables: the hash-chained audit log, proposals and their approvals. Queried by
 * audit-log.ts and proposal-rows.ts, which {@link GUARDIAN_TABLES} hands the connection to.
 */
export const GUARDIAN_SCHEMA: SubsystemSchema = {
  subsystem: 'guardian',
  migrations: [
    {
      version: 1,
      name: 'audit log, proposals and approvals',
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
        `);
      },
    },
    {
      version: 2,
      name: 'pending proposals by change',
      up(db) {
        // propose() looks for the same change still pending before recording a new one; without
        // this, the lookup scans every proposal ever made.
        db.exec(`
          CREATE INDEX proposals_change ON proposals (state, payload_hash, task_id);
        `);
      },
    },
  ],
  // Before the runner these tables came with the store's `user_version` 3.
  adoptLegacy: (db) => (tableExists(db, 'approvals') ? 1 : 0),
};

/**
 * The guardian's access to the store: its tables migrated, and the connection for the
 * guardian's own query modules (audit log, proposal rows), which keep their SQL next to them.
 *
 * @example
 * const db = store.use(GUARDIAN_TABLES);
 * const audit = openAuditLog(db, store.path);
 */
export const GUARDIAN_TABLES: StoreModule<GuardianDb> = {
  schema: GUARDIAN_SCHEMA,
  bind: (db) => db,
};

/** The store connection, once the guardian's tables exist (see {@link GUARDIAN_TABLES}). */
export type GuardianDb = Database;
