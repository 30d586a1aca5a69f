import type { ApprovalDecision } from '@fox/sdk/protocol';
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

type Decidable = Pick<ProposalItem, 'id' | 'processId' | 'payloadHash'>;

export async function sendDecision(
  target: DecisionTarget | undefined,
  proposal: Decidable,
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

/**
 * Sends one decision on several proposals of the same change (a proposal and its repeats, see
 * `ProposalBook.decidedWith`). Delivered when the first one was: the repeats are best effort.
 */
export async function sendDecisions(
  target: DecisionTarget | undefined,
  proposals: readonly Decidable[],
  decision: Decision,
  by: string,
): Promise<DecisionResult> {
  const [first, ...repeats] = proposals;
  if (!first) return { delivered: false, detail: 'no such proposal' };
  const result = await sendDecision(target, first, decision, by);
  if (!result.delivered || repeats.length === 0) return result;
  let sent = 0;
  for (const p of repeats) if ((await sendDecision(target, p, decision, by)).delivered) sent++;
  const also = `${sent} repeat${sent === 1 ? '' : 's'}`;
  return { delivered: true, detail: `${result.detail} (and for ${also} of the same change)` };
}

/**
 * Who the editor approves as: the `fox.approvals.approver` setting — the name the guardian's
 * policy lists in `approvers` — or, when unset, a stable per-machine name.
 */
export function approverName(configured: string | undefined, machineId: string): string {
  const name = configured?.trim() ?? '';
  return name.length > 0 ? name.slice(0, 128) : `vscode:${machineId.slice(0, 12)}`;
}
