/**
 * `@fox/sdk/guardian`: proposals, approvals and the hash-chained audit log, for tools that read
 * or verify them. A program turns the guardian on with `fox.configure({ guardian: policy })`.
 *
 * ```ts
 * import { verifyStoreAudit } from '@fox/sdk/guardian';
 * ```
 */
export { canonicalJson, payloadHash, sha256Hex } from './canonical-json.js';
export { auditKeyFrom, loadOrCreateAuditKey, type AuditKey } from './audit-key.js';
export {
  AuditLog,
  CHECKPOINT_EVERY_ENTRIES,
  CHECKPOINT_EVERY_MS,
  GENESIS_HASH,
  linkHash,
  readAuditEntries,
  readCheckpoints,
  verifyAuditLog,
  type AuditEntry,
  type AuditEvent,
  type AuditProblem,
  type Checkpoint,
  type VerifyResult,
} from './audit-log.js';
export { GuardianError, isGuardianError, type GuardianErrorCode } from './errors.js';
export { Guardian, type GuardianOptions, type VoteInput } from './guardian.js';
export {
  decide,
  GuardianPolicySchema,
  GuardianRuleSchema,
  ImpactSchema,
  type GuardianPolicy,
  type GuardianPolicyInput,
  type Impact,
  type PolicyDecision,
} from './policy.js';
export {
  ProposalInputSchema,
  type KnownProposalKind,
  type Proposal,
  type ProposalInput,
  type ProposalState,
  type Vote,
} from './proposal.js';
export {
  taskApplier,
  type ChangeApplier,
  type GuardedTask,
  type TaskResolver,
} from './appliers.js';
export { auditPaths, openAuditLog, verifyStoreAudit } from './paths.js';
export { connectApprovals } from './wire-approvals.js';
export {
  guardedTask,
  startGuardian,
  type GuardianRuntime,
  type GuardianRuntimeOptions,
} from '../runtime/runtime-guardian.js';
export { GUARDIAN_SCHEMA, GUARDIAN_TABLES, type GuardianDb } from './guardian-schema.js';
export {
  GuardianNotifier,
  type DeliveryOutcome,
  type NotifierStats,
  type WebhookCounters,
} from './notifications/notifier.js';
export {
  NOTIFICATION_EVENTS,
  NotificationsOptionsSchema,
  parseNotificationsOptions,
  WEBHOOK_FORMATS,
  type NotificationEventName,
  type NotificationsOptions,
  type NotificationsOptionsInput,
  type WebhookFormat,
} from './notifications/options.js';
export type { GuardianNotification, ProposalSummary } from './notifications/events.js';
export {
  SIGNATURE_HEADER,
  signatureHeader,
  verifyWebhookSignature,
  type SignatureCheck,
} from './notifications/signature.js';
export { WebhookDeliveryError } from './notifications/webhook-error.js';
