import type { StoreDb } from './store-adapter.js';

/**
 * The profiler's own tables, next to the sdk's in the same store file (one file per project).
 * What the sdk's tables do not hold: which processes a `fox profile` run saw, process gauges,
 * the events feed, each task's live strategy and breaker state, and span tags. All names start
 * with `profiler_` so they can never collide with a table the sdk adds later; the version lives
 * in the store's `meta` table under {@link PROFILER_SCHEMA_META_KEY}.
 *
 * Rows reference `processes(id)` with `ON DELETE CASCADE`, so the store's own retention prune
 * (which deletes old processes) takes them along.
 */
export const PROFILER_SCHEMA_META_KEY = 'profiler_schema_version';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS profiler_sessions (
    id         TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER
  ) STRICT;

  CREATE TABLE IF NOT EXISTS profiler_session_processes (
    session_id TEXT NOT NULL REFERENCES profiler_sessions(id) ON DELETE CASCADE,
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, process_id)
  ) STRICT;

  CREATE TABLE IF NOT EXISTS profiler_task_state (
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    task_id    TEXT NOT NULL,
    mode       TEXT NOT NULL,
    current    TEXT NOT NULL,
    policies   TEXT NOT NULL,
    breaker    TEXT,
    PRIMARY KEY (process_id, task_id)
  ) STRICT;

  CREATE TABLE IF NOT EXISTS profiler_gauges (
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    delay_p50  REAL NOT NULL,
    delay_p99  REAL NOT NULL,
    delay_max  REAL NOT NULL,
    elu        REAL NOT NULL,
    cpu        REAL NOT NULL,
    heap_used  INTEGER NOT NULL,
    dropped    TEXT NOT NULL,
    PRIMARY KEY (process_id, at)
  ) STRICT;

  CREATE TABLE IF NOT EXISTS profiler_events (
    seq        INTEGER PRIMARY KEY,
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    at         REAL NOT NULL,
    kind       TEXT NOT NULL,
    event      TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS profiler_events_process_at ON profiler_events (process_id, at);

  CREATE TABLE IF NOT EXISTS profiler_span_tags (
    run_id     TEXT PRIMARY KEY REFERENCES spans(run_id) ON DELETE CASCADE,
    chaos      TEXT,
    error_code TEXT
  ) STRICT;
  `,
  // 2: loop gauges and CPU may be null ("no data yet": a process's first interval is too short
  // to measure). SQLite cannot drop NOT NULL in place, so the table is rebuilt; rows are kept.
  `
  CREATE TABLE profiler_gauges_v2 (
    process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    delay_p50  REAL,
    delay_p99  REAL,
    delay_max  REAL,
    elu        REAL,
    cpu        REAL,
    heap_used  INTEGER NOT NULL,
    dropped    TEXT NOT NULL,
    PRIMARY KEY (process_id, at)
  ) STRICT;
  INSERT INTO profiler_gauges_v2
    SELECT process_id, at, delay_p50, delay_p99, delay_max, elu, cpu, heap_used, dropped
      FROM profiler_gauges;
  DROP TABLE profiler_gauges;
  ALTER TABLE profiler_gauges_v2 RENAME TO profiler_gauges;
  `,
];

/** Brings the profiler's tables up to date (one immediate transaction); returns the version. */
export function migrateProfilerSchema(db: StoreDb): number {
  const read = (): number => {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(PROFILER_SCHEMA_META_KEY) as
      { value: string } | undefined;
    return row ? Number(row.value) || 0 : 0;
  };
  if (read() >= MIGRATIONS.length) return read();
  db.transaction(() => {
    // Re-read inside the lock: another profiler on the same file may have got here first.
    const current = read();
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
      PROFILER_SCHEMA_META_KEY,
      String(MIGRATIONS.length),
    );
  }).immediate();
  return read();
}
