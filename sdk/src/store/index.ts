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
export {
  DEFAULT_RETENTION_MS,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  RETENTION_META_KEY,
  migrate,
  schemaVersion,
} from './migrations.js';
export type { Migration } from './migrations.js';

export { writeRows, isRowError } from './row-writer.js';
export type { RowRejected } from './row-writer.js';
