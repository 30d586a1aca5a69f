/**
 * `@fox/sdk/store`: the SQLite store (`.fox/fox.db`) and its rows, for tools that read or write
 * it (the profiler, the language server, the editor). Programs use it through
 * `fox.configure({ store: true })`. Needs the optional `better-sqlite3`.
 *
 * ```ts
 * import { openStore } from '@fox/sdk/store';
 * const store = openStore({ path: '.fox/fox.db' });
 * ```
 */
export { DEFAULT_STORE_PATH, openStore } from './store.js';
export type { FoxStore, OpenStoreOptions } from './store.js';
export { aggregateRowOf } from './rows.js';
export type {
  AggregateRecord,
  AggregateRow,
  ProcessRow,
  PruneResult,
  SpanRow,
  TaskRow,
} from './rows.js';
export { DEFAULT_RETENTION_MS, RETENTION_META_KEY, STORE_SCHEMA } from './store-schema.js';
export {
  STORE_FORMAT_VERSION,
  /** @deprecated the file's format version; subsystems version themselves (`schemaVersions()`). */
  STORE_FORMAT_VERSION as LATEST_SCHEMA_VERSION,
  assertNotNewer,
  latestVersion,
  recordedVersions,
  runMigrations,
  storeFormatVersion,
  tableExists,
} from './migration-runner.js';
export type { SchemaMigration, SubsystemSchema } from './migration-runner.js';
export type { StoreModule } from './store-module.js';

export { writeRows, isRowError } from './row-writer.js';
export type { RowRejected } from './row-writer.js';
