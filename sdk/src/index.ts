/**
 * @fox/sdk — run TypeScript functions under Fox execution strategies and resilience policies.
 *
 * ```ts
 * import { fox } from '@fox/sdk';
 * export const parse = fox({ mode: 'sfox' }, async function parse(s: string) { … });
 * class Orders { @fox({ mode: 'wfox', timeout: 2000 }) async place(o: Order) { … } }
 * ```
 *
 * The root is what a program writes: `fox`, its options, the stats it returns, errors and their
 * guards. Tools and advanced uses have their own entries: `@fox/sdk/protocol` (wire schemas,
 * task ids), `@fox/sdk/task-id` (task ids alone, for browser bundles), `@fox/sdk/telemetry`,
 * `@fox/sdk/store`, `@fox/sdk/guardian`, `@fox/sdk/chaos`, `@fox/sdk/testing` and
 * `@fox/sdk/vault` (the pattern catalogue).
 */
export { fox, FOX_TASK } from './runtime/fox.js';
export type { FoxApi, FoxDecorator, Foxed, TaskHandle } from './runtime/fox.js';
export type { RuntimeConfig } from './runtime/config.js';
export type { FoxTunerApi } from './runtime/fox.js';
export type { TuneOptionInput } from './policies/tune-options.js';
export type { TunerConfigInput } from './tuner/tuner-options.js';
export type { TaskTunerStatus, TunerPhase } from './tuner/task-tuner.js';
export type { Generation, GenerationChange, GenerationDecision } from './tuner/lineage-store.js';
export type { GeneName } from './tuner/genome.js';
export type { FoxOptions } from './task/options.js';
export type { FoxIo, LaneStats } from './modes/mfox/index.js';
export type { PoolOptions } from './modes/tfox/index.js';
export * from './modes/errors.js';
export * from './modes/dfox/errors.js';
export type { DfoxConfig, QueueGauges, RedisOption } from './modes/dfox/index.js';
export type { QueueOption } from './modes/dfox/queue-option.js';
export type { FoxWorker, FoxWorkerOptions } from './runtime/dfox/fox-worker.js';
export {
  applyProposal,
  onProposal,
  proposalHistory,
  setProposalHandler,
} from './modes/auto/index.js';
export type {
  AutoEvidence,
  Proposal,
  ProposalDecision,
  ProposalHandler,
  ProposalRecord,
  StrategyChangeProposal,
} from './modes/auto/index.js';
export type { TaskInfo } from './task/task.js';
export type { CallContext } from './task/call.js';
export type { ValueSchema } from './task/schema-check.js';
export * from './errors/errors.js';
// What fox.stats() returns; the wire protocol itself is `@fox/sdk/protocol`.
export { StatsSnapshotSchema } from './protocol/stats.js';
export type {
  EventLoopDelay,
  LatencySummary,
  ProcessStats,
  StatsSnapshot,
  TaskCounterStats,
  TaskStats,
} from './protocol/stats.js';
export type { QueueStats } from './protocol/dfox-job.js';
export type { ConcreteMode, Mode } from './protocol/modes.js';
export type { Disposable, FoxEvent } from './events/emitter.js';
export * from './policies/errors.js';
export { parseDuration } from './policies/index.js';
export { FoxCacheValueError } from './policies/index.js';
export type {
  AnyPolicy,
  BreakerConfig,
  BreakerSnapshot,
  BreakerState as PolicyBreakerState,
  CacheL2,
  CacheL2Entry,
  CacheRedisConnection,
  CacheStatsSnapshot,
  CacheTierName,
  Duration,
  PolicyChain,
  PolicyEventMap,
  PolicyEventName,
  PolicyEvents,
  PolicyKind,
  PolicyOptionsInput,
  RetryConfig,
  TimeoutConfig,
} from './policies/index.js';
export type { LimiterOptions, LimitChangeEvent, LimiterRejectEvent } from './modes/wfox/index.js';
// The errors of the guardian and of chaos experiments, which calls can reject with; the rest
// of both is `@fox/sdk/guardian` and `@fox/sdk/chaos`.
export { GuardianError, isGuardianError, type GuardianErrorCode } from './guardian/errors.js';
export { ChaosExperimentError } from './chaos/experiment.js';
export { ChaosInjectedError } from './chaos/injected-error.js';
export { ChaosKillSwitchError } from './chaos/kill-switch.js';
export {
  Flow,
  FlowBuilder,
  FoxFlowError,
  FoxFlowNotSerializableError,
  FoxFlowUnknownRunError,
} from './flow/index.js';
export type {
  FlowOptions,
  FlowOutcomes,
  FlowResult,
  FlowResults,
  FlowRunOptions,
  FlowSettled,
  NodeContext,
  NodeDeps,
  NodeFunction,
  NodeOptions,
  NodeOutcome,
  NodeTiming,
  SkipReason,
} from './flow/index.js';
