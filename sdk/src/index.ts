/**
 * @fox/sdk — run TypeScript functions under Fox execution strategies and resilience policies.
 *
 * ```ts
 * import { fox } from '@fox/sdk';
 * export const parse = fox({ mode: 'sfox' }, async function parse(s: string) { … });
 * class Orders { @fox({ mode: 'wfox', timeout: 2000 }) async place(o: Order) { … } }
 * ```
 */
export { fox, FOX_TASK } from './runtime/fox.js';
export type { FoxApi, FoxDecorator, Foxed, TaskHandle } from './runtime/fox.js';
export type { RuntimeConfig } from './runtime/config.js';
export type { FoxOptions } from './task/options.js';
export type { TaskInfo } from './task/task.js';
export type { CallContext } from './task/call.js';
export type { ValueSchema } from './task/schema-check.js';
export * from './errors/errors.js';
export * from './protocol/index.js';
export { LatencyHistogram } from './telemetry/histogram.js';
export type { Disposable, FoxEvent } from './events/emitter.js';
export { openStore, DEFAULT_STORE_PATH, LATEST_SCHEMA_VERSION } from './store/index.js';
export type {
  FoxStore,
  OpenStoreOptions,
  AggregateRow,
  ProcessRow,
  SpanRow,
  TaskRow,
  PruneResult,
} from './store/index.js';
