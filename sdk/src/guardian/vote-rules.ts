import { GuardianError } from './errors.js';
import type { ProposalState } from './proposal.js';
import type { ProposalRow, VoteRow } from './proposal-rows.js';

/** A vote as cast: who, and the payload hash they saw (absent: the proposal's own). */
export interface CastVote {
  approver?: string | undefined;
  payloadHash?: string | undefined;
}

/** A vote that passed {@link validateVote}: a named approver bound to the proposal's payload. */
export interface ValidVote {
  approver: string;
  payloadHash: string;
}

/**
 * Checks a vote on a pending proposal against the rules of N of M approval: the approver is
 * named on the proposal, is not its proposer, has not voted on it yet, and saw exactly the
 * payload that was proposed (the hash binds the vote to it). Throws {@link GuardianError} with
 * the rule that was broken.
 */
export function validateVote(
  row: ProposalRow,
  vote: CastVote,
  votes: readonly VoteRow[],
): ValidVote {
  const id = row.id;
  const approver = vote.approver ?? '';
  const approvers = JSON.parse(row.approvers) as string[];
  if (!approvers.includes(approver)) {
    throw new GuardianError(
      'GUARDIAN_NOT_AN_APPROVER',
      `${approver} is not an approver of ${id} (approvers: ${approvers.join(', ') || 'none'})`,
    );
  }
  if (approver === row.proposer) {
    throw new GuardianError('GUARDIAN_SELF_APPROVAL', `${approver} proposed ${id}`);
  }
  const payloadHash = vote.payloadHash ?? row.payload_hash;
  if (payloadHash !== row.payload_hash) {
    throw new GuardianError(
      'GUARDIAN_HASH_MISMATCH',
      `the approved hash ${payloadHash.slice(0, 12)}… is not the payload's ${row.payload_hash.slice(0, 12)}…`,
    );
  }
  if (votes.some((x) => x.approver === approver)) {
    throw new GuardianError('GUARDIAN_DUPLICATE_VOTE', `${approver} already voted on ${id}`);
  }
  return { approver, payloadHash };
}

/**
 * The decision a proposal reaches with its latest vote, if any: a rejection denies it at once,
 * and `required` approvals among `votes` (which include the latest) approve it (N of M).
 * Anything short of that leaves it pending (undefined).
 */
export function quorumDecision(
  latest: Pick<VoteRow, 'approver' | 'verdict'>,
  votes: readonly VoteRow[],
  required: number,
): { state: ProposalState; reason: string } | undefined {
  if (latest.verdict === 'reject')
    return { state: 'denied', reason: `rejected by ${latest.approver}` };
  const approvals = votes.filter((x) => x.verdict === 'approve').length;
  if (approvals >= required) {
    return { state: 'approved', reason: `${approvals} of ${required} approvals` };
  }
  return undefined;
}
