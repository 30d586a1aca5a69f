import type { Guardian } from './guardian.js';
import type { Proposal } from './proposal.js';

/** A strategy switch as auto proposes it (`Proposal` in modes/auto/proposals.ts). */
export interface AutoStrategyProposal {
  kind: 'strategy-change';
  taskId: string;
  from: string;
  to: string;
  reason: string;
  evidence: unknown;
}

/** Auto's proposal hook: decides a proposal and, when approved, runs auto's `apply`. */
export type AutoProposalHandler = (
  proposal: AutoStrategyProposal,
  apply: () => Promise<void>,
) => Promise<'applied' | 'denied' | 'pending'>;

/**
 * Bridges auto's proposal hook (`setProposalHandler` in modes/auto/proposals.ts) to a guardian:
 * strategy switches become `strategy-change` proposals with auto's own `apply`.
 */
export function autoProposalHandler(
  guardian: Pick<Guardian, 'propose'>,
  impact: Proposal['impact'],
): AutoProposalHandler {
  return async (proposal, apply) => {
    const p = await guardian.propose(
      {
        kind: 'strategy-change',
        taskId: proposal.taskId,
        payload: { from: proposal.from, to: proposal.to },
        impact,
        proposer: 'auto',
        evidence: JSON.parse(
          JSON.stringify({ reason: proposal.reason, ...asObject(proposal.evidence) }),
        ) as unknown,
      },
      { apply },
    );
    return p.state === 'applied' ? 'applied' : p.state === 'pending' ? 'pending' : 'denied';
  };
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { value: v };
}
