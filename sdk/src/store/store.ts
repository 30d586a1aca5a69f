import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FoxConfigError, FoxStoreError, FoxStoreTooNewError } from '../errors/errors.js';
import {
  sqliteDriver,
  type SqliteDatabase as Database,
  type SqliteDriver,
  type SqliteStatement as Statement,
} from './driver.js';
import {
  assertNotNewer,
  recordedVersions,
  runMigrations,
  storeFormatVersion,
} from './migration-runner.js';
import { DEFAULT_RETENTION_MS, RETENTION_META_KEY, STORE_SCHEMA } from './store-schema.js';
import type { StoreModule } from './store-module.js';
import {
  aggregateRowOf,
  type AggregateRecord,
  type AggregateRow,
  type ProcessRow,
  type PruneResult,
  type SpanRow,
  type TaskRow,
} from './rows.js';
import { writeRows, type RowRejected } from './row-writer.js';

/** Where the store lives when no path is configured, relative to the working directory. */
export const DEFAULT_STORE_PATH = '.fox/fox.db';

export interface OpenStoreOptions {
  /** File path, or `':memory:'` (tests). Default {@link DEFAULT_STORE_PATH}. */
  path?: string;
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Wall clock in epoch ms, used by {@link FoxStore.prune}. Default `Date.now`. */
  now?: () => number;
}

/**
 * The project's SQLite store: telemetry (processes, tasks, aggregates, spans) through the methods
 * below; other subsystems (the guardian, chaos reports, the profiler) keep their own tables in
 * the same file, migrated by the same runner, through {@link FoxStore.use}. Every method is
 * synchronous (better-sqlite3); batches run in one transaction. Failures throw
 * {@link FoxStoreError}.
 *
 * @example
 * const store = openStore({ path: '.fox/fox.db' });
 * store.upsertProcess(process);
 * store.upsertTasks(tasks);
 * store.insertAggregates(rows);
 * store.close();
 */
export interface FoxStore {
  /** The path the store was opened with. */
  readonly path: string;
  /** Format version of the open file (always {@link STORE_FORMAT_VERSION}). */
  readonly schemaVersion: number;
  /** Each subsystem's schema version recorded in the file (`store`, `guardian`, …). */
  schemaVersions(): Map<string, number>;
  /**
   * A subsystem's queries over its own tables: runs the module's migrations (once per store,
   * through the same runner as the store's) and binds its queries. Throws
   * `FoxStoreTooNewError` when the file's tables for it are newer than the module.
   *
   * @example
   * const reports = store.use(CHAOS_REPORTS);
   */
  use<Queries>(module: StoreModule<Queries>): Queries;
  readonly isOpen: boolean;
  /** Inserts or replaces the process row. Call before writing its aggregates or spans. */
  upsertProcess(row: ProcessRow): void;
  /** Inserts or updates tasks; `firstSeen` keeps the earliest and `lastSeen` the latest value. */
  upsertTasks(rows: readonly TaskRow[]): void;
  /**
   * Appends interval aggregates; a row with the same (task, process, at) replaces the old one.
   * With `onRejected`, a row the database refuses (a constraint or a value its column cannot
   * hold) is handed to it and the other rows still commit; without, the batch fails whole.
   */
  insertAggregates(rows: readonly AggregateRow[], onRejected?: RowRejected<AggregateRow>): void;
  /** Appends sampled spans; a span with the same run id replaces the old one. See `onRejected`. */
  insertSpans(rows: readonly SpanRow[], onRejected?: RowRejected<SpanRow>): void;
  /** The newest aggregate of each (task, process), optionally for one task; ordered by task. */
  latestAggregates(taskId?: string): AggregateRow[];
  /** A task's aggregates with `at >= sinceMs` (epoch ms), oldest first. */
  taskHistory(taskId: string, sinceMs: number): AggregateRow[];
  /** A task's spans with `start >= sinceMs`, oldest first, at most `limit` (default 1000). */
  taskSpans(taskId: string, sinceMs: number, limit?: number): SpanRow[];
  /** Every known task, by id. */
  tasks(): TaskRow[];
  /**
   * Deletes aggregates and spans older than `olderThanMs` before now (default: the retention
   * stored in `meta`), then processes left without rows that started before that cutoff.
   */
  prune(options?: { olderThanMs?: number }): PruneResult;
  /** Retention in ms from `meta` (default 7 days). */
  retentionMs(): number;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  /** Closes the file. Idempotent; any other call afterwards throws. */
  close(): void;
  /**
   * The underlying connection. Only tests still reach for it (to tamper with a file or read a
   * pragma); code uses {@link FoxStore.use} with its subsystem's module instead.
   * @internal
   * @deprecated use {@link FoxStore.use}
   */
  connection(): Database;
}

/**
 * Opens (creating when missing) the store at `path`, sets WAL journaling, `synchronous=NORMAL`,
 * a busy timeout and foreign keys, and migrates the schema to the latest version. Refuses a file
 * whose schema is newer than this sdk knows rather than risk corrupting it.
 *
 * Several processes may open the same new file at once (a program, its workers, `fox` commands).
 * Some steps of opening fail with "database is locked" at once, without waiting on the busy
 * timeout (switching to WAL needs an exclusive lock that SQLite does not wait for), so the whole
 * open is retried on a fresh connection until `busyTimeoutMs` has passed.
 */
export function openStore(options: OpenStoreOptions = {}): FoxStore {
  const path = options.path ?? DEFAULT_STORE_PATH;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new FoxConfigError(['store', 'busyTimeoutMs'], 'must be a non-negative integer');
  }
  // The driver is optional (see driver.ts): load it first, so that without it opening fails
  // with how to add it, before anything is created on disk.
  const Driver = sqliteDriver();
  const memory = path === ':memory:' || path === '';
  if (!memory) {
    const dir = dirname(resolve(path));
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new FoxStoreError(
        `Cannot create directory ${dir} for the fox store: ${messageOf(err)}`,
        err,
      );
    }
  }

  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return openStoreOnce(Driver, path, memory, busyTimeoutMs, options.now ?? Date.now);
    } catch (err) {
      if (err instanceof FoxStoreError || err instanceof FoxStoreTooNewError) throw err;
      const waited = Date.now() - started;
      if (!isBusy(err) || waited >= busyTimeoutMs) {
        const note = isBusy(err) ? ` (waited ${waited} ms for other connections)` : '';
        throw new FoxStoreError(
          `Cannot open the fox store at ${path}: ${messageOf(err)}${note}`,
          err,
        );
      }
      sleepSync(Math.min(busyTimeoutMs - waited, openBackoffMs(attempt)));
    }
  }
}

/** One attempt of {@link openStore}; throws the raw error (closing the connection) on failure. */
function openStoreOnce(
  Driver: SqliteDriver,
  path: string,
  memory: boolean,
  busyTimeoutMs: number,
  now: () => number,
): FoxStore {
  const db = new Driver(path);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Check before anything writes: WAL mode and migrations would modify a file we do not own.
    assertNotNewer(db, [STORE_SCHEMA]);
    if (!memory) db.pragma('journal_mode = WAL');
    // NORMAL is durable in WAL mode except for the last commits before a power loss, which
    // telemetry can afford; FULL would fsync on every batch.
    db.pragma('synchronous = NORMAL');
    // Must be set outside any transaction, so before migrating.
    db.pragma('foreign_keys = ON');
    runMigrations(db, [STORE_SCHEMA]);
    return new SqliteFoxStore(db, path, now);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) anywhere along the cause chain. */
function isBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && depth < 8; depth++) {
    if (/^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(e) ?? '')) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** 5, 10, 20 … up to 100 ms, ±50% so processes that collided once do not collide again. */
function openBackoffMs(attempt: number): number {
  return Math.round(Math.min(100, 5 * 2 ** attempt) * (0.5 + Math.random()));
}

/** Blocks the thread: opening is synchronous, like the rest of the store. */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface SpanRecord {
  run_id: string;
  parent_run_id: string | null;
  task_id: string;
  process_id: string;
  start: number;
  duration: number;
  outcome: string;
  attempt: number;
  strategy: string;
}

interface TaskRecord {
  id: string;
  mode: string;
  source_file: string | null;
  line: number | null;
  column: number | null;
  first_seen: number;
  last_seen: number;
}

const AGGREGATE_COLUMNS =
  'process_id, task_id, at, calls, successes, errors, errors_by_code, histogram, ' +
  'p50, p90, p99, max, in_flight, queued, "limit"';

class SqliteFoxStore implements FoxStore {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #modules = new Map<StoreModule<unknown>, unknown>();
  #open = true;

  constructor(
    db: Database,
    readonly path: string,
    now: () => number,
  ) {
    this.#db = db;
    this.#now = now;
    this.#statements = prepareStatements(db);
  }

  get schemaVersion(): number {
    return this.#guard('read the schema version', () => storeFormatVersion(this.#db));
  }

  schemaVersions(): Map<string, number> {
    return this.#guard('schemaVersions', () => recordedVersions(this.#db));
  }

  use<Queries>(module: StoreModule<Queries>): Queries {
    if (this.#modules.has(module)) return this.#modules.get(module) as Queries;
    const queries = this.#guard(`open the ${module.schema.subsystem} tables`, () => {
      runMigrations(this.#db, [module.schema]);
      return module.bind(this.#db);
    });
    this.#modules.set(module, queries);
    return queries;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  upsertProcess(row: ProcessRow): void {
    this.#guard('upsertProcess', () => {
      this.#statements.upsertProcess.run(
        row.id,
        row.pid,
        Math.round(row.startedAt),
        JSON.stringify(row.argv),
        row.nodeVersion,
        row.projectRoot,
      );
    });
  }

  upsertTasks(rows: readonly TaskRow[]): void {
    const stmt = this.#statements.upsertTask;
    this.#batch('upsertTasks', rows, undefined, (row) => {
      stmt.run(
        row.id,
        row.mode,
        row.sourceFile,
        row.line,
        row.column,
        Math.round(row.firstSeen),
        Math.round(row.lastSeen),
      );
    });
  }

  insertAggregates(rows: readonly AggregateRow[], onRejected?: RowRejected<AggregateRow>): void {
    const stmt = this.#statements.insertAggregate;
    this.#batch('insertAggregates', rows, onRejected, (row) => {
      stmt.run(
        row.processId,
        row.taskId,
        Math.round(row.at),
        row.calls,
        row.successes,
        row.errors,
        JSON.stringify(row.errorsByCode),
        row.histogram,
        row.p50,
        row.p90,
        row.p99,
        row.max,
        row.inFlight,
        row.queued,
        row.limit,
      );
    });
  }

  insertSpans(rows: readonly SpanRow[], onRejected?: RowRejected<SpanRow>): void {
    const stmt = this.#statements.insertSpan;
    this.#batch('insertSpans', rows, onRejected, (row) => {
      stmt.run(
        row.runId,
        row.parentRunId,
        row.taskId,
        row.processId,
        row.start,
        row.duration,
        row.outcome,
        row.attempt,
        row.strategy,
      );
    });
  }

  latestAggregates(taskId?: string): AggregateRow[] {
    return this.#guard('latestAggregates', () => {
      const records =
        taskId === undefined
          ? this.#statements.latestAll.all()
          : this.#statements.latestForTask.all(taskId);
      return (records as AggregateRecord[]).map(aggregateRowOf);
    });
  }

  taskHistory(taskId: string, sinceMs: number): AggregateRow[] {
    return this.#guard('taskHistory', () =>
      (this.#statements.history.all(taskId, sinceMs) as AggregateRecord[]).map(aggregateRowOf),
    );
  }

  taskSpans(taskId: string, sinceMs: number, limit = 1000): SpanRow[] {
    return this.#guard('taskSpans', () =>
      (this.#statements.spans.all(taskId, sinceMs, limit) as SpanRecord[]).map(toSpanRow),
    );
  }

  tasks(): TaskRow[] {
    return this.#guard('tasks', () =>
      (this.#statements.tasks.all() as TaskRecord[]).map((r) => ({
        id: r.id,
        mode: r.mode,
        sourceFile: r.source_file,
        line: r.line,
        column: r.column,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
      })),
    );
  }

  prune(options: { olderThanMs?: number } = {}): PruneResult {
    const olderThanMs = options.olderThanMs ?? this.retentionMs();
    if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
      throw new FoxConfigError(['olderThanMs'], 'must be a non-negative number of milliseconds');
    }
    const cutoff = this.#now() - olderThanMs;
    const s = this.#statements;
    return this.#guard('prune', () =>
      this.#db.transaction(() => ({
        aggregates: s.pruneAggregates.run(cutoff).changes,
        spans: s.pruneSpans.run(cutoff).changes,
        processes: s.pruneProcesses.run(cutoff).changes,
      }))(),
    );
  }

  retentionMs(): number {
    const raw = this.getMeta(RETENTION_META_KEY);
    const value = raw === undefined ? NaN : Number(raw);
    return Number.isFinite(value) && value >= 0 ? value : DEFAULT_RETENTION_MS;
  }

  getMeta(key: string): string | undefined {
    return this.#guard('getMeta', () => {
      const record = this.#statements.getMeta.get(key) as { value: string } | undefined;
      return record?.value;
    });
  }

  setMeta(key: string, value: string): void {
    this.#guard('setMeta', () => {
      this.#statements.setMeta.run(key, value);
    });
  }

  connection(): Database {
    if (!this.#open) throw new FoxStoreError('The fox store is closed');
    return this.#db;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      // Cheap (usually a no-op) and keeps query plans good for long-lived files.
      this.#db.pragma('optimize');
    } finally {
      this.#db.close();
    }
  }

  #batch<T>(
    what: string,
    rows: readonly T[],
    onRejected: RowRejected<T> | undefined,
    write: (row: T) => void,
  ): void {
    if (rows.length === 0) return;
    this.#guard(what, () => writeRows(this.#db, rows, write, onRejected));
  }

  #guard<R>(what: string, fn: () => R): R {
    if (!this.#open) throw new FoxStoreError(`The fox store at ${this.path} is closed (${what})`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof FoxStoreError || err instanceof FoxStoreTooNewError) throw err;
      const hint =
        sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY'
          ? ' (unknown process or task id: call upsertProcess / upsertTasks first)'
          : '';
      throw new FoxStoreError(
        `Fox store ${this.path}: ${what} failed: ${messageOf(err)}${hint}`,
        err,
      );
    }
  }
}

function prepareStatements(db: Database) {
  const latest = (where: string): Statement =>
    db.prepare(
      `SELECT ${AGGREGATE_COLUMNS} FROM aggregates a
       WHERE ${where} a.at = (
         SELECT MAX(b.at) FROM aggregates b
         WHERE b.task_id = a.task_id AND b.process_id = a.process_id)
       ORDER BY a.task_id, a.process_id`,
    );
  return {
    upsertProcess: db.prepare(
      `INSERT INTO processes (id, pid, started_at, argv, node_version, project_root)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at,
         argv = excluded.argv, node_version = excluded.node_version,
         project_root = excluded.project_root`,
    ),
    upsertTask: db.prepare(
      `INSERT INTO tasks (id, mode, source_file, line, "column", first_seen, last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, source_file = excluded.source_file,
         line = excluded.line, "column" = excluded."column",
         first_seen = MIN(first_seen, excluded.first_seen),
         last_seen = MAX(last_seen, excluded.last_seen)`,
    ),
    insertAggregate: db.prepare(
      `INSERT OR REPLACE INTO aggregates (${AGGREGATE_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSpan: db.prepare(
      `INSERT OR REPLACE INTO spans (run_id, parent_run_id, task_id, process_id, start, duration,
         outcome, attempt, strategy)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    latestAll: latest(''),
    latestForTask: latest('a.task_id = ? AND'),
    history: db.prepare(
      `SELECT ${AGGREGATE_COLUMNS} FROM aggregates
       WHERE task_id = ? AND at >= ? ORDER BY at, process_id`,
    ),
    spans: db.prepare(
      `SELECT * FROM spans WHERE task_id = ? AND start >= ? ORDER BY start, run_id LIMIT ?`,
    ),
    tasks: db.prepare('SELECT * FROM tasks ORDER BY id'),
    pruneAggregates: db.prepare('DELETE FROM aggregates WHERE at < ?'),
    pruneSpans: db.prepare('DELETE FROM spans WHERE start < ?'),
    pruneProcesses: db.prepare(
      `DELETE FROM processes WHERE started_at < ?
         AND NOT EXISTS (SELECT 1 FROM aggregates WHERE process_id = processes.id)
         AND NOT EXISTS (SELECT 1 FROM spans WHERE process_id = processes.id)`,
    ),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}

function toSpanRow(r: SpanRecord): SpanRow {
  return {
    runId: r.run_id,
    parentRunId: r.parent_run_id,
    taskId: r.task_id,
    processId: r.process_id,
    start: r.start,
    duration: r.duration,
    outcome: r.outcome,
    attempt: r.attempt,
    strategy: r.strategy,
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sqliteCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}
