import type { SqliteDatabase as Database, SqliteStatement as Statement } from '../store/driver.js';
import type { Proposal, ProposalState, Vote } from './proposal.js';

/** A row of the `proposals` table. */
export interface ProposalRow {
  id: string;
  kind: string;
  task_id: string | null;
  payload: string;
  payload_hash: string;
  impact: Proposal['impact'];
  proposer: string;
  evidence: string | null;
  created_at: number;
  expires_at: number;
  state: ProposalState;
  required: number;
  approvers: string;
  reason: string | null;
  owner: string | null;
  updated_at: number;
}

/** A row of the `approvals` table. */
export interface VoteRow {
  approver: string;
  verdict: 'approve' | 'reject';
  payload_hash: string;
  at: number;
  comment: string | null;
}

/** The guardian's statements, prepared once per connection. */
export interface ProposalStatements {
  insert: Statement;
  get: Statement;
  setState: Statement;
  votes: Statement;
  vote: Statement;
  approvedMine: Statement;
  expiredPending: Statement;
  samePending: Statement;
}

export function prepareProposalStatements(db: Database): ProposalStatements {
  return {
    insert: db.prepare(
      `INSERT INTO proposals (id, kind, task_id, payload, payload_hash, impact, proposer,
         evidence, created_at, expires_at, state, required, approvers, reason, owner, updated_at)
       VALUES (@id, @kind, @task_id, @payload, @payload_hash, @impact, @proposer, @evidence,
         @created_at, @expires_at, @state, @required, @approvers, @reason, @owner, @updated_at)`,
    ),
    get: db.prepare('SELECT * FROM proposals WHERE id = ?'),
    setState: db.prepare('UPDATE proposals SET state = ?, reason = ?, updated_at = ? WHERE id = ?'),
    votes: db.prepare(
      'SELECT approver, verdict, payload_hash, at, comment FROM approvals WHERE proposal_id = ? ORDER BY at, approver',
    ),
    vote: db.prepare(
      `INSERT INTO approvals (proposal_id, approver, verdict, payload_hash, at, comment)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    approvedMine: db.prepare("SELECT id FROM proposals WHERE state = 'approved' AND owner = ?"),
    expiredPending: db.prepare(
      "SELECT id FROM proposals WHERE state = 'pending' AND expires_at <= ?",
    ),
    samePending: db.prepare(
      `SELECT * FROM proposals WHERE state = 'pending' AND payload_hash = ? AND task_id IS ?
         AND owner = ? AND proposer = ? AND kind = ? AND expires_at > ?
       LIMIT 1`,
    ),
  };
}

/** A stored proposal and its votes as the public {@link Proposal}. */
export function toProposal(r: ProposalRow, votes: readonly VoteRow[]): Proposal {
  return {
    id: r.id,
    kind: r.kind,
    taskId: r.task_id,
    payload: JSON.parse(r.payload) as unknown,
    payloadHash: r.payload_hash,
    impact: r.impact,
    proposer: r.proposer,
    evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as unknown),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    state: r.state,
    required: r.required,
    approvers: JSON.parse(r.approvers) as string[],
    owner: r.owner,
    reason: r.reason,
    updatedAt: r.updated_at,
    votes: votes.map(toVote),
  };
}

export function toVote(v: VoteRow): Vote {
  return {
    approver: v.approver,
    verdict: v.verdict,
    payloadHash: v.payload_hash,
    at: v.at,
    comment: v.comment,
  };
}

/** Proposals, newest first, optionally in one state. */
export function listProposals(
  db: Database,
  filter: { state?: ProposalState; limit?: number },
): ProposalRow[] {
  const limit = filter.limit ?? 100;
  return (
    filter.state
      ? db
          .prepare(
            'SELECT * FROM proposals WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?',
          )
          .all(filter.state, limit)
      : db.prepare('SELECT * FROM proposals ORDER BY created_at DESC, id DESC LIMIT ?').all(limit)
  ) as ProposalRow[];
}
