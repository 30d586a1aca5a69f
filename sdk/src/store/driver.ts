import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FoxStoreError } from '../errors/errors.js';

/**
 * The SQLite driver (better-sqlite3) as Fox uses it. The driver is an optional peer dependency:
 * it compiles a native module on install, and a program that only runs tasks and policies never
 * needs it. So the sdk loads it on the first `openStore()`, and its public declarations use
 * these structural types rather than `@types/better-sqlite3`, which a consumer may not have
 * (a `.d.ts` importing it fails their `tsc` with TS7016). A better-sqlite3 connection is
 * assignable to {@link SqliteDatabase}; `sdk/test/store/driver.test.ts` checks that at compile
 * time, so these types cannot drift from the real driver unnoticed.
 */

/** What a write statement reports. */
export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement. Results are untyped rows: callers cast them to their record type. */
export interface SqliteStatement {
  readonly source: string;
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Makes `get`/`all`/`iterate` return the first column's value instead of a row object. */
  pluck(toggleState?: boolean): this;
}

/**
 * The parameters of `F`. Spelled as better-sqlite3's own types spell it (`=> unknown`, where
 * the built-in `Parameters` has `=> any`): TypeScript relates two unresolved conditional types
 * only when they are written alike, and a real transaction must stay assignable to ours.
 */
type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;

/** A function wrapped by {@link SqliteDatabase.transaction}: each call runs in one transaction. */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...params: ArgsOf<F>): ReturnType<F>;
  deferred(...params: ArgsOf<F>): ReturnType<F>;
  immediate(...params: ArgsOf<F>): ReturnType<F>;
  exclusive(...params: ArgsOf<F>): ReturnType<F>;
}

/** An open connection (better-sqlite3's `Database`), reduced to the members Fox uses. */
export interface SqliteDatabase {
  readonly name: string;
  readonly memory: boolean;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(source: string): SqliteStatement;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  exec(source: string): this;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): this;
}

export interface SqliteOpenOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
  /** Busy timeout in ms. */
  timeout?: number;
}

/** The driver module's export: `new Driver(path)` opens a connection. */
export type SqliteDriver = new (filename: string, options?: SqliteOpenOptions) => SqliteDatabase;

/** The npm package Fox loads, and what a user installs to enable the store. */
export const SQLITE_DRIVER_PACKAGE = 'better-sqlite3';

/** Where to look for the driver, and how to load a resolved file (tests replace both). */
export interface DriverLookup {
  /** Files to resolve the package from, in order (as if `require` ran in each of them). */
  from: readonly string[];
  /** Loads a resolved file. Default: Node's `require`. */
  load?: (file: string) => unknown;
}

/**
 * Resolves and loads better-sqlite3, or throws {@link FoxStoreError} saying how to add it
 * (not installed) or what went wrong (installed but failed to load, e.g. built for another
 * Node version). Looks next to the sdk first (where a peer dependency is installed), then from
 * the working directory and the entry script (a program's own dependencies); `NODE_PATH`
 * applies to each, as it does to `require`.
 */
export function loadSqliteDriver(lookup: DriverLookup = defaultLookup()): SqliteDriver {
  const file = resolveDriver(lookup.from);
  if (file === undefined) {
    throw new FoxStoreError(
      `The fox store needs the SQLite driver '${SQLITE_DRIVER_PACKAGE}', which is not installed. ` +
        `Add it to your project with \`npm i ${SQLITE_DRIVER_PACKAGE}\` (it builds a native ` +
        `module). Only the store, the guardian and audit log, and stored chaos reports need it; ` +
        `tasks and policies run without it.`,
    );
  }
  let driver: unknown;
  try {
    driver = (lookup.load ?? createRequire(file))(file);
  } catch (err) {
    throw new FoxStoreError(
      `The SQLite driver '${SQLITE_DRIVER_PACKAGE}' at ${file} failed to load: ${messageOf(err)}. ` +
        `If it was built for another Node.js version, run \`npm rebuild ${SQLITE_DRIVER_PACKAGE}\`.`,
      err,
    );
  }
  if (typeof driver !== 'function') {
    throw new FoxStoreError(
      `The module at ${file} is not the '${SQLITE_DRIVER_PACKAGE}' driver (its export is not a ` +
        `constructor).`,
    );
  }
  return driver as SqliteDriver;
}

let loaded: SqliteDriver | undefined;

/**
 * {@link loadSqliteDriver} from the default places, once per process: a successful load is kept,
 * a failure is not (a driver installed later is found by the next open).
 */
export function sqliteDriver(): SqliteDriver {
  return (loaded ??= loadSqliteDriver());
}

function resolveDriver(from: readonly string[]): string | undefined {
  for (const base of from) {
    try {
      return createRequire(base).resolve(SQLITE_DRIVER_PACKAGE);
    } catch {
      // Not resolvable from here: try the next place.
    }
  }
  return undefined;
}

function defaultLookup(): DriverLookup {
  // In the CJS bundle the build defines import.meta.url as the bundle's own file URL.
  const from = [import.meta.url, join(process.cwd(), 'noop.js')];
  const entry = process.argv[1];
  if (entry) from.push(join(dirname(entry), 'noop.js'));
  return { from };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
