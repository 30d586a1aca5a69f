import type { ApprovalDecision } from '@fox/sdk';
import type { Decision, ProposalItem } from './proposal-book.js';

/**
 * The one place a decision leaves the editor: the profiler relays it to the process that made
 * the proposal (over that process's exporter connection), where the guardian checks the
 * approver, the payload hash and the expiry, and applies the change once the policy is met.
 */
export interface DecisionTarget {
  decide(processId: string, decision: ApprovalDecision): { ok: boolean; reason?: string };
}

export interface DecisionResult {
  delivered: boolean;
  detail: string;
}

export async function sendDecision(
  target: DecisionTarget | undefined,
  proposal: Pick<ProposalItem, 'id' | 'processId' | 'payloadHash'>,
  decision: Decision,
  by: string,
): Promise<DecisionResult> {
  if (!target) return { delivered: false, detail: 'the Fox profiler is not running' };
  if (!proposal.payloadHash) {
    return {
      delivered: false,
      detail: 'the proposal does not say what it changes (no payload hash); use `fox approvals`',
    };
  }
  const sent = target.decide(proposal.processId, {
    proposalId: proposal.id,
    payloadHash: proposal.payloadHash,
    approver: by,
    verdict: decision,
  });
  if (!sent.ok) return { delivered: false, detail: sent.reason ?? 'the process is not connected' };
  return { delivered: true, detail: decision === 'approve' ? 'approval sent' : 'rejection sent' };
}
