/**
 * The one place the profiler reaches the sdk's store (its public entry), so a change of the
 * store's home touches one file.
 */
import type { FoxStore } from '@fox/sdk';

export { openStore, writeRows } from '@fox/sdk';
export type { AggregateRow, FoxStore, ProcessRow, RowRejected, SpanRow, TaskRow } from '@fox/sdk';

/**
 * The store's SQLite connection. The profiler keeps a few tables of its own in the same file
 * (see profiler-schema.ts) and reads run windows the store's query methods do not offer; it
 * uses the store's connection rather than a second one so that both see one transaction order.
 */
export type StoreDb = ReturnType<FoxStore['connection']>;
