export { DfoxStrategy, type DfoxPlan } from './dfox-strategy.js';
export { DfoxQueues } from './dfox-queues.js';
export {
  DfoxConfigSchema,
  RedisOptionSchema,
  connectionOptions,
  type DfoxConfig,
  type RedisOption,
} from './dfox-config.js';
export { lockSettingsFor, worstCaseRecoveryMs, type LockSettings } from './lock-settings.js';
export { moduleHash } from './module-hash.js';
export { argsOfJob } from './job-payload.js';
export { encodeFailure } from './failure-codec.js';
export { findJsonProblem } from './json-check.js';
export type { QueueGauges } from './queue-link.js';
export {
  FoxMissingPeerError,
  FoxNotJsonError,
  FoxPayloadTooLargeError,
  FoxRemoteRefusedError,
  FoxUnavailableError,
  type RefusalReason,
} from './errors.js';
