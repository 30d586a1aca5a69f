/**
 * The one place the profiler reaches the sdk's store (its public entry), so a change of the
 * store's home touches one file.
 */
export { openStore } from '@fox/sdk';
export type { AggregateRow, FoxStore, ProcessRow, SpanRow, TaskRow } from '@fox/sdk';
