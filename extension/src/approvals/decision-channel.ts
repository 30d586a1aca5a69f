import type { Decision, ProposalItem } from './proposal-book.js';

/**
 * The one place a decision leaves the editor. The guardian's channel is landing in the sdk and
 * the profiler: a `{ type: 'approval', v, processId, token, decision: { proposalId, payloadHash,
 * approver, verdict } }` message relayed by the profiler to the process's exporter connection.
 * It needs the proposal's `payloadHash`, which the `proposal` wire event does not carry yet, and
 * an in-process entry on `Profiler`; once both exist, the body below becomes that one call.
 * Until then a profiler without a `decide` method gets the decision recorded locally and the
 * caller is told it was not delivered.
 */
export interface DecisionTarget {
  decide?: (proposalId: string, decision: Decision, by: string) => unknown;
}

export interface DecisionResult {
  delivered: boolean;
  detail: string;
}

export async function sendDecision(
  target: DecisionTarget | undefined,
  proposal: Pick<ProposalItem, 'id' | 'summary'>,
  decision: Decision,
  by: string,
): Promise<DecisionResult> {
  if (!target) return { delivered: false, detail: 'the Fox profiler is not running' };
  if (typeof target.decide !== 'function') {
    return {
      delivered: false,
      detail: 'this profiler has no approvals channel yet; the decision was recorded locally',
    };
  }
  await target.decide(proposal.id, decision, by);
  return { delivered: true, detail: `${decision === 'approve' ? 'approved' : 'rejected'}` };
}
