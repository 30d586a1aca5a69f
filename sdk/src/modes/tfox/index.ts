export { move, moveMarks, transferListOf } from './move.js';
export {
  WORKER_TARGET,
  detectTsxApi,
  locationKey,
  toModuleUrl,
  warnIfEntryScript,
  type WorkerTarget,
} from './module-target.js';
export {
  PoolOptionsSchema,
  resolvePoolOptions,
  type PoolOptions,
  type ResolvedPoolOptions,
} from './pool-options.js';
export { ThreadPool, type WorkerFunction } from './pool.js';
export { TfoxStrategy, type TfoxDeps } from './tfox-strategy.js';
