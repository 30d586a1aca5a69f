import { FoxStoreTooNewError } from '../errors/errors.js';
import type { SqliteDatabase as Database } from './driver.js';

/**
 * One versioned migration runner for every subsystem that keeps tables in the store file (the
 * store's telemetry, the guardian, chaos reports, the profiler). Each subsystem declares its
 * migrations next to its queries as a {@link SubsystemSchema}; the runner records one version
 * row per subsystem in `schema_versions` and brings each up to date in the order it is given.
 *
 * Guarantees:
 * - every migration runs in its own `BEGIN IMMEDIATE` transaction together with its version
 *   row, re-reading the version inside the lock, so a crash leaves a consistent version and two
 *   processes opening one new file do not both run it;
 * - a file whose format or subsystem version is newer than the code is refused with
 *   {@link FoxStoreTooNewError} before anything is written;
 * - files made before the runner existed (versions in `PRAGMA user_version` 1–3 and the
 *   profiler's `meta` key) are adopted: each subsystem says which version its tables are at.
 *
 * To change a subsystem's schema, append one migration with the next version. Never edit or
 * reorder one that has shipped: files in the wild are already past it.
 */

/** One step of a subsystem's schema. */
export interface SchemaMigration {
  /** 1, 2, 3, … with no gaps, per subsystem. */
  readonly version: number;
  /** Short description, used in error messages. */
  readonly name: string;
  /** Runs inside a transaction; must not start or commit one itself. */
  up(db: Database): void;
}

/** A subsystem's tables, as migrations. Declared next to the code that queries them. */
export interface SubsystemSchema {
  /** Stable key of the version row (`store`, `guardian`, `chaos`, `profiler`). */
  readonly subsystem: string;
  readonly migrations: readonly SchemaMigration[];
  /**
   * For a file made before the runner existed: the version this subsystem's tables are at
   * (0 when absent). Runs inside the transaction that writes the first version row.
   */
  adoptLegacy?(db: Database): number;
}

/**
 * `PRAGMA user_version` of a file whose versions live in `schema_versions`. Files at 1–3 were
 * versioned by the single list this runner replaced; sdks that predate the runner refuse 4 as
 * "newer than supported", which is right: they do not read the version rows.
 */
export const STORE_FORMAT_VERSION = 4;

/** The file's format version (`PRAGMA user_version`). */
export function storeFormatVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Latest version a schema's migrations reach. */
export function latestVersion(schema: SubsystemSchema): number {
  return schema.migrations[schema.migrations.length - 1]?.version ?? 0;
}

/**
 * Throws {@link FoxStoreTooNewError} when the file is from newer code than `schemas` know:
 * a newer format, or a known subsystem past its latest migration. Writes nothing, so callers
 * run it before anything (WAL mode, migrations) touches the file. Unknown subsystems are
 * ignored: another program (the profiler) may keep its own tables in the same file.
 */
export function assertNotNewer(db: Database, schemas: readonly SubsystemSchema[]): void {
  const format = storeFormatVersion(db);
  if (format > STORE_FORMAT_VERSION) {
    throw new FoxStoreTooNewError('format', format, STORE_FORMAT_VERSION);
  }
  if (format < STORE_FORMAT_VERSION) return;
  for (const schema of schemas) {
    const found = recordedVersion(db, schema.subsystem);
    if (found !== undefined && found > latestVersion(schema)) {
      throw new FoxStoreTooNewError(schema.subsystem, found, latestVersion(schema));
    }
  }
}

/**
 * Brings every schema in `schemas` to its latest version, in the order given (a subsystem whose
 * tables reference another's comes after it). Returns the versions reached. Throws, leaving each
 * subsystem at its last completed migration, when a migration fails.
 */
export function runMigrations(
  db: Database,
  schemas: readonly SubsystemSchema[],
): Map<string, number> {
  for (const schema of schemas) assertOrdered(schema);
  assertNotNewer(db, schemas);
  ensureVersionTable(db);
  const reached = new Map<string, number>();
  for (const schema of schemas) {
    adopt(db, schema);
    for (const migration of schema.migrations) {
      if ((recordedVersion(db, schema.subsystem) ?? 0) >= migration.version) continue;
      db.transaction(() => {
        // Re-read inside the lock: another connection may have run it since.
        if ((recordedVersion(db, schema.subsystem) ?? 0) >= migration.version) return;
        try {
          migration.up(db);
        } catch (err) {
          throw new Error(
            `migration ${schema.subsystem} ${migration.version} (${migration.name}) failed`,
            { cause: err },
          );
        }
        recordVersion(db, schema.subsystem, migration.version);
      }).immediate();
    }
    reached.set(schema.subsystem, recordedVersion(db, schema.subsystem) ?? 0);
  }
  return reached;
}

/** Every subsystem's recorded version (empty for a file the runner has not touched). */
export function recordedVersions(db: Database): Map<string, number> {
  if (storeFormatVersion(db) < STORE_FORMAT_VERSION) return new Map();
  const rows = db.prepare('SELECT subsystem, version FROM schema_versions ORDER BY subsystem');
  return new Map((rows.all() as VersionRecord[]).map((r) => [r.subsystem, r.version]));
}

interface VersionRecord {
  subsystem: string;
  version: number;
}

function recordedVersion(db: Database, subsystem: string): number | undefined {
  if (storeFormatVersion(db) < STORE_FORMAT_VERSION) return undefined;
  const version = db
    .prepare('SELECT version FROM schema_versions WHERE subsystem = ?')
    .pluck()
    .get(subsystem) as number | undefined;
  return version;
}

function recordVersion(db: Database, subsystem: string, version: number): void {
  db.prepare(
    `INSERT INTO schema_versions (subsystem, version) VALUES (?, ?)
     ON CONFLICT (subsystem) DO UPDATE SET version = excluded.version`,
  ).run(subsystem, version);
}

/** Creates `schema_versions` and moves the file to {@link STORE_FORMAT_VERSION}, once. */
function ensureVersionTable(db: Database): void {
  if (storeFormatVersion(db) >= STORE_FORMAT_VERSION) return;
  db.transaction(() => {
    if (storeFormatVersion(db) >= STORE_FORMAT_VERSION) return;
    db.exec(`
      CREATE TABLE IF NOT EXISTS schema_versions (
        subsystem TEXT PRIMARY KEY,
        version   INTEGER NOT NULL
      ) STRICT;
    `);
    // user_version lives in the file header, which the transaction covers: it rolls back too.
    db.pragma(`user_version = ${STORE_FORMAT_VERSION}`);
  }).immediate();
}

/** Writes the first version row of a subsystem, from its pre-runner tables when it has some. */
function adopt(db: Database, schema: SubsystemSchema): void {
  if (recordedVersion(db, schema.subsystem) !== undefined) return;
  db.transaction(() => {
    if (recordedVersion(db, schema.subsystem) !== undefined) return;
    const legacy = schema.adoptLegacy?.(db) ?? 0;
    if (legacy > latestVersion(schema)) {
      throw new FoxStoreTooNewError(schema.subsystem, legacy, latestVersion(schema));
    }
    recordVersion(db, schema.subsystem, legacy);
  }).immediate();
}

function assertOrdered(schema: SubsystemSchema): void {
  schema.migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version !== i + 1) {
      throw new Error(
        `${schema.subsystem} migration '${m.name}' has version ${m.version}; expected ${i + 1}`,
      );
    }
  });
}

/** True when a table of this name exists (for {@link SubsystemSchema.adoptLegacy}). */
export function tableExists(db: Database, name: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
    undefined
  );
}
