/**
 * The one place the profiler reaches the sdk's store (its public entry), so a change of the
 * store's home touches one file.
 */
import type { StoreModule } from '@fox/sdk/store';

export { openStore, writeRows } from '@fox/sdk/store';
export type {
  AggregateRow,
  FoxStore,
  ProcessRow,
  RowRejected,
  SpanRow,
  StoreModule,
  SubsystemSchema,
  TaskRow,
} from '@fox/sdk/store';
export { CHAOS_REPORTS } from '@fox/sdk/chaos';

/**
 * The store's SQLite connection, as the store hands it to the profiler's own queries
 * (`store.use(PROFILER_STORE)`, see profiler-schema.ts): the profiler keeps a few tables of its
 * own in the same file and reads run windows the store's query methods do not offer. One
 * connection, not a second, so that both see one transaction order.
 */
export type StoreDb = Parameters<StoreModule<unknown>['bind']>[0];
