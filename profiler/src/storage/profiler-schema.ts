import { ProfilerTables } from './profiler-tables.js';
import { SessionReader } from './session-reader.js';
import {
  CHAOS_REPORTS,
  type FoxStore,
  type StoreModule,
  type SubsystemSchema,
} from './store-adapter.js';

/**
 * The profiler's own tables, next to the sdk's in the same store file (one file per project).
 * What the sdk's tables do not hold: which processes a `fox profile` run saw, process gauges,
 * the events feed, each task's live strategy and breaker state, span tags, sampled CPU per
 * source function, and flow run graphs. All names start with `profiler_` so they can never collide with a table the
 * sdk adds later. Versioned by the store's migration runner as subsystem `profiler`.
 *
 * Rows reference `processes(id)` with `ON DELETE CASCADE`, so the store's own retention prune
 * (which deletes old processes) takes them along.
 */
export const PROFILER_SCHEMA: SubsystemSchema = {
  subsystem: 'profiler',
  migrations: [
    {
      version: 1,
      name: 'sessions, task state, gauges, events and span tags',
      up(db) {
        db.exec(`
          CREATE TABLE profiler_sessions (
            id         TEXT PRIMARY KEY,
            started_at INTEGER NOT NULL,
            ended_at   INTEGER
          ) STRICT;

          CREATE TABLE profiler_session_processes (
            session_id TEXT NOT NULL REFERENCES profiler_sessions(id) ON DELETE CASCADE,
            process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
            PRIMARY KEY (session_id, process_id)
          ) STRICT;

          CREATE TABLE profiler_task_state (
            process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
            task_id    TEXT NOT NULL,
            mode       TEXT NOT NULL,
            current    TEXT NOT NULL,
            policies   TEXT NOT NULL,
            breaker    TEXT,
            PRIMARY KEY (process_id, task_id)
          ) STRICT;

          CREATE TABLE profiler_gauges (
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

          CREATE TABLE profiler_events (
            seq        INTEGER PRIMARY KEY,
            process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
            at         REAL NOT NULL,
            kind       TEXT NOT NULL,
            event      TEXT NOT NULL
          ) STRICT;
          CREATE INDEX profiler_events_process_at ON profiler_events (process_id, at);

          CREATE TABLE profiler_span_tags (
            run_id     TEXT PRIMARY KEY REFERENCES spans(run_id) ON DELETE CASCADE,
            chaos      TEXT,
            error_code TEXT
          ) STRICT;
        `);
      },
    },
    {
      version: 2,
      name: 'gauges may be null',
      up(db) {
        // Loop gauges and CPU may be null ("no data yet": a process's first interval is too
        // short to measure). SQLite cannot drop NOT NULL in place, so the table is rebuilt; rows
        // are kept.
        db.exec(`
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
        `);
      },
    },
    {
      version: 3,
      name: 'sampled CPU per source function',
      up(db) {
        // Sampled CPU per source function and window (the exporter's `cpu-profile` frames).
        // Keyed by window start so a frame stored twice (a re-sent connection's) replaces itself.
        db.exec(`
          CREATE TABLE profiler_cpu_functions (
            process_id      TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
            window_from     INTEGER NOT NULL,
            window_to       INTEGER NOT NULL,
            interval_us     INTEGER NOT NULL,
            file            TEXT NOT NULL,
            line            INTEGER NOT NULL,
            "column"        INTEGER NOT NULL,
            name            TEXT NOT NULL,
            self_ms         REAL NOT NULL,
            total_ms        REAL NOT NULL,
            samples         INTEGER NOT NULL,
            longest_sync_ms REAL,
            PRIMARY KEY (process_id, window_from, file, line, "column", name)
          ) STRICT;
          CREATE INDEX profiler_cpu_functions_file ON profiler_cpu_functions (file, line);
          CREATE INDEX profiler_cpu_functions_to ON profiler_cpu_functions (window_to);
        `);
      },
    },
    {
      version: 4,
      name: 'flow run graphs',
      up(db) {
        // The latest `flow-run` frame of each sampled flow run (its graph, node statuses and
        // critical path) as JSON: the UI draws it whole, nothing queries inside it.
        db.exec(`
          CREATE TABLE profiler_flow_runs (
            run_id     TEXT PRIMARY KEY,
            process_id TEXT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
            flow       TEXT NOT NULL,
            status     TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at   REAL,
            run        TEXT NOT NULL
          ) STRICT;
          CREATE INDEX profiler_flow_runs_process_start ON profiler_flow_runs (process_id, started_at);
        `);
      },
    },
  ],
  // Before the store had one runner, the profiler kept its version in `meta`.
  adoptLegacy(db) {
    const hasMeta = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .get();
    if (hasMeta === undefined) return 0;
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(LEGACY_VERSION_META_KEY) as
      { value: string } | undefined;
    return row ? Number(row.value) || 0 : 0;
  },
};

/** `meta` key where profilers before the store's migration runner recorded their version. */
export const LEGACY_VERSION_META_KEY = 'profiler_schema_version';

/** The profiler's queries over the store: its writer and its run reader. */
export interface ProfilerStore {
  tables: ProfilerTables;
  sessions: SessionReader;
}

/**
 * The profiler's part of the store: `store.use(PROFILER_STORE)` migrates its tables and binds
 * its queries. Use the store's chaos reports (`CHAOS_REPORTS`) before it: the writer and the
 * reader read that table too.
 */
export const PROFILER_STORE: StoreModule<ProfilerStore> = {
  schema: PROFILER_SCHEMA,
  bind: (db) => ({ tables: new ProfilerTables(db), sessions: new SessionReader(db) }),
};

/** The profiler's queries on an open store, with the chaos reports' table they read migrated. */
export function useProfilerStore(store: FoxStore): ProfilerStore {
  store.use(CHAOS_REPORTS);
  return store.use(PROFILER_STORE);
}
