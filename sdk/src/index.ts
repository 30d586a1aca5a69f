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
export type { FoxIo, LaneStats } from './modes/mfox/index.js';
export type { PoolOptions } from './modes/tfox/index.js';
export * from './modes/errors.js';
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
export * from './protocol/index.js';
export { LatencyHistogram } from './telemetry/histogram.js';
export type { Disposable, FoxEvent } from './events/emitter.js';
export {
  openStore,
  aggregateRowOf,
  DEFAULT_STORE_PATH,
  LATEST_SCHEMA_VERSION,
  writeRows,
} from './store/index.js';
export type {
  RowRejected,
  FoxStore,
  OpenStoreOptions,
  AggregateRecord,
  AggregateRow,
  ProcessRow,
  SpanRow,
  TaskRow,
  PruneResult,
} from './store/index.js';
export * from './policies/errors.js';
export { POLICY_ORDER, parseDuration } from './policies/index.js';
export type {
  AnyPolicy,
  BreakerConfig,
  BreakerSnapshot,
  BreakerState as PolicyBreakerState,
  CacheL2,
  CacheL2Entry,
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
export { AdaptiveLimiter } from './modes/wfox/index.js';
export type { LimiterOptions, LimitChangeEvent, LimiterRejectEvent } from './modes/wfox/index.js';
export { PATTERNS, findPattern, patternForOption } from './vault/index.js';
export type { Pattern, PatternParameter, VerificationLevel } from './vault/index.js';
export { startExporter, profilerUrlFromEnv } from './telemetry/exporter.js';
export type { Exporter, ExporterHost, ExporterOptions, SpanSink } from './telemetry/exporter.js';
export { approvalsMain, auditMain, chaosMain } from './cli/index.js';
export * from './guardian/index.js';
export * from './chaos/index.js';
