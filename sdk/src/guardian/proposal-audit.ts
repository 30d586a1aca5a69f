import type { AuditEvent } from './audit-log.js';
import type { PolicyDecision } from './policy.js';
import type { Proposal, ProposalState } from './proposal.js';
import type { ProposalRow } from './proposal-rows.js';

/**
 * The audit log entries of a proposal's life, one builder per step: proposed, decided (by the
 * policy, the votes or expiry), voted on, applied or failed. Every entry carries the payload
 * hash, so the log alone shows which exact change each step was about.
 */

/** `proposal`: what was proposed, by whom, until when. `payload` is the proposer's own value. */
export function proposalEvent(row: ProposalRow, payload: unknown): AuditEvent {
  return {
    type: 'proposal',
    data: {
      proposalId: row.id,
      kind: row.kind,
      taskId: row.task_id,
      payload,
      payloadHash: row.payload_hash,
      impact: row.impact,
      proposer: row.proposer,
      expiresAt: row.expires_at,
    },
  };
}

/** `decision` by the policy at proposal time; in dry-run, also what it would have decided. */
export function policyDecisionEvent(
  row: ProposalRow,
  decision: PolicyDecision,
  dryRun: boolean,
): AuditEvent {
  return {
    type: 'decision',
    data: {
      proposalId: row.id,
      decision: dryRun ? 'dry-run' : row.state,
      ...(dryRun ? { wouldBe: decision.verdict } : {}),
      by: 'policy',
      reason: decision.reason,
      payloadHash: row.payload_hash,
    },
  };
}

/** `decision` reached after the proposal was made: `by` an approver's vote, or `expiry`. */
export function decisionEvent(
  row: ProposalRow,
  state: ProposalState,
  reason: string,
  by: string,
): AuditEvent {
  return {
    type: 'decision',
    data: { proposalId: row.id, decision: state, by, reason, payloadHash: row.payload_hash },
  };
}

/** `approval` or `rejection` by a named approver, bound to the hash they approved. */
export function voteEvent(
  proposalId: string,
  verdict: 'approve' | 'reject',
  vote: { approver: string; payloadHash: string; comment: string | null },
): AuditEvent {
  const { approver, payloadHash, comment } = vote;
  return {
    type: verdict === 'approve' ? 'approval' : 'rejection',
    data: { proposalId, approver, payloadHash, ...(comment ? { comment } : {}) },
  };
}

/** `applied`, or `apply-failed` with the error, once an approved change was carried out. */
export function applyEvent(p: Proposal, state: 'applied' | 'failed', reason: string): AuditEvent {
  return {
    type: state === 'applied' ? 'applied' : 'apply-failed',
    data: {
      proposalId: p.id,
      payloadHash: p.payloadHash,
      ...(state === 'failed' ? { error: reason } : {}),
    },
  };
}
