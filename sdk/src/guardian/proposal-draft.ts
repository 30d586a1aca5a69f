import type { AuditEvent } from './audit-log.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { GuardianError } from './errors.js';
import { decide, type GuardianPolicy, type PolicyDecision } from './policy.js';
import { ProposalInputSchema, type ProposalInput, type ProposalState } from './proposal.js';
import type { ProposalRow } from './proposal-rows.js';
import { policyDecisionEvent, proposalEvent } from './proposal-audit.js';
import { fastUlid as ulid } from './ulid.js';

/** A new proposal, decided by the policy and ready to store: its row and its audit entries. */
export interface ProposalDraft {
  row: ProposalRow;
  events: AuditEvent[];
}

/**
 * Validates a proposer's input, binds it to the hash of its canonical payload and lets the
 * policy decide it. Nothing is stored: the caller commits the row and the entries together.
 * Throws {@link GuardianError} `GUARDIAN_INVALID_PROPOSAL` for malformed input.
 */
export function draftProposal(
  input: ProposalInput,
  policy: GuardianPolicy,
  ownerId: string,
  now: number,
): ProposalDraft {
  const parsed = ProposalInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GuardianError(
      'GUARDIAN_INVALID_PROPOSAL',
      `invalid proposal: ${issue ? `${issue.path.join('.') || '(input)'}: ${issue.message}` : ''}`,
    );
  }
  const p = parsed.data;
  let payloadText: string;
  let evidenceText: string | null;
  try {
    payloadText = canonicalJson(p.payload);
    evidenceText = p.evidence === undefined ? null : canonicalJson(p.evidence);
  } catch (err) {
    throw new GuardianError('GUARDIAN_INVALID_PROPOSAL', (err as Error).message);
  }
  const d = decide(policy, { kind: p.kind, impact: p.impact, taskId: p.taskId });
  const state = stateAfterPolicy(d, policy.dryRun);
  const row: ProposalRow = {
    id: ulid(now),
    kind: p.kind,
    task_id: p.taskId,
    payload: payloadText,
    payload_hash: sha256Hex(payloadText),
    impact: p.impact,
    proposer: p.proposer,
    evidence: evidenceText,
    created_at: now,
    expires_at: now + (p.ttlMs ?? policy.ttlMs),
    state,
    required: d.required,
    approvers: JSON.stringify(policy.approvers),
    reason: d.reason,
    owner: ownerId,
    updated_at: now,
  };
  const events = [proposalEvent(row, p.payload)];
  if (state !== 'pending') events.push(policyDecisionEvent(row, d, policy.dryRun));
  return { row, events };
}

/** A dry run decides nothing; otherwise the policy approves, denies, or leaves it to people. */
function stateAfterPolicy(d: PolicyDecision, dryRun: boolean): ProposalState {
  if (dryRun) return 'dry-run';
  if (d.verdict === 'approve') return 'approved';
  if (d.verdict === 'deny') return 'denied';
  return 'pending';
}
