import type { Proposal, ProposalState } from '../proposal.js';
import type { NotificationEventName } from './options.js';

/** What a webhook is told about a proposal: the facts, never anything to act on. */
export interface ProposalSummary {
  id: string;
  kind: string;
  taskId: string | null;
  state: ProposalState;
  impact: Proposal['impact'];
  proposer: string;
  payload: unknown;
  payloadHash: string;
  reason: string | null;
  required: number;
  approvals: string[];
  rejections: string[];
  createdAt: number;
  expiresAt: number;
}

/** One notification, as the generic JSON format sends it. */
export interface GuardianNotification {
  /** ULID of this notification; the same on every retry (the `Fox-Delivery` header). */
  id: string;
  event: NotificationEventName;
  /** Epoch ms when the event happened. */
  at: number;
  proposal: ProposalSummary;
  /** For `proposal.rolled-back`: why. */
  detail?: string;
}

/** The decided states: the first time a proposal is seen in one, it was decided. */
const DECIDED: ReadonlySet<ProposalState> = new Set(['approved', 'denied', 'expired', 'dry-run']);
const CARRIED_OUT: ReadonlySet<ProposalState> = new Set(['applied', 'failed']);

/**
 * Which events a proposal's change is, given the state it was last seen in (`undefined`: never
 * seen, so it was just created). Pure; the notifier keeps the last states.
 *
 * A proposal the policy decides at once arrives already decided: it is created and decided.
 * A vote that does not reach the quorum changes no state and is no event.
 */
export function transitionEvents(
  previous: ProposalState | undefined,
  p: Pick<Proposal, 'state'>,
): NotificationEventName[] {
  const out: NotificationEventName[] = [];
  if (previous === undefined) out.push('proposal.created');
  if (previous === p.state) return out;
  const wasDecided = previous !== undefined && (DECIDED.has(previous) || CARRIED_OUT.has(previous));
  if (!wasDecided && (DECIDED.has(p.state) || CARRIED_OUT.has(p.state))) {
    out.push('proposal.decided');
  }
  if (p.state === 'applied') out.push('proposal.applied');
  if (p.state === 'failed') out.push('proposal.apply-failed');
  return out;
}

/** The summary of a proposal a notification carries (a copy: listeners share nothing). */
export function summarize(p: Proposal): ProposalSummary {
  return {
    id: p.id,
    kind: p.kind,
    taskId: p.taskId,
    state: p.state,
    impact: p.impact,
    proposer: p.proposer,
    payload: p.payload,
    payloadHash: p.payloadHash,
    reason: p.reason,
    required: p.required,
    approvals: p.votes.filter((v) => v.verdict === 'approve').map((v) => v.approver),
    rejections: p.votes.filter((v) => v.verdict === 'reject').map((v) => v.approver),
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
  };
}
