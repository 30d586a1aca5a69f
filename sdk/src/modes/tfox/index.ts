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
export { ThreadPool, type ModuleLoad, type PoolStats } from './pool.js';
export { PoolPrewarm } from './prewarm.js';
export { PoolJob, type WorkerFunction } from './pool-job.js';
export type { ThreadExit, ThreadExitReason } from './worker-failure.js';
export { TfoxStrategy, type TfoxDeps } from './tfox-strategy.js';
