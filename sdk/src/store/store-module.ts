import type { SqliteDatabase as Database } from './driver.js';
import type { SubsystemSchema } from './migration-runner.js';

/**
 * A subsystem's part of the store: its schema and the queries over it, declared together (next
 * to the code that owns the tables). {@link FoxStore.use} runs the schema's migrations through
 * the store's one runner, then binds the queries once per store.
 *
 * @example
 * const reports = store.use(CHAOS_REPORTS); // chaos/report-store.ts
 * reports.save(report);
 */
export interface StoreModule<Queries> {
  readonly schema: SubsystemSchema;
  /** Prepares the subsystem's queries on the store's connection (after its migrations ran). */
  bind(db: Database): Queries;
}
