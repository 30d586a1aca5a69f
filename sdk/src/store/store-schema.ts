import type { SqliteDatabase as Database } from './driver.js';
import { tableExists, type SubsystemSchema } from './migration-runner.js';

/** Default retention of aggregates and spans, written to `meta` by migration 2: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** `meta` key holding the retention period in milliseconds (decimal string). */
export const RETENTION_META_KEY = 'retention_ms';

/**
 * The store's own tables: `meta` and the telemetry (processes, tasks, aggregates, spans) that
 * store.ts queries. Run by {@link openStore} before anything else, since other subsystems'
 * tables reference `processes` and `spans`.
 */
export const STORE_SCHEMA: SubsystemSchema = {
  subsystem: 'store',
  migrations: [
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
  ],
  // Before the runner, `user_version` 1 and 2 were these two migrations (3 was the guardian's
  // and chaos's tables); each migration's last table tells which ran.
  adoptLegacy(db: Database): number {
    if (tableExists(db, 'spans')) return 2;
    return tableExists(db, 'aggregates') ? 1 : 0;
  },
};
