/**
 * The one place the profiler reaches the sdk's store. Until `@fox/sdk` exports `openStore` and
 * the row types from its public entry, this imports the sdk sources directly; switching is a
 * one-line change to `from '@fox/sdk'`.
 */
export { openStore } from '../../../sdk/src/store/index.js';
export type {
  AggregateRow,
  FoxStore,
  ProcessRow,
  SpanRow,
  TaskRow,
} from '../../../sdk/src/store/index.js';
