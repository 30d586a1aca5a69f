import type { Database } from 'better-sqlite3';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import type { AuditLog } from './audit-log.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { GuardianError } from './errors.js';
import { fastUlid as ulid } from './ulid.js';
import {
  decide,
  GuardianPolicySchema,
  type GuardianPolicy,
  type GuardianPolicyInput,
} from './policy.js';
import {
  ProposalInputSchema,
  type Proposal,
  type ProposalInput,
  type ProposalState,
  type Vote,
} from './proposal.js';
import { taskApplier, type ChangeApplier, type TaskResolver } from './appliers.js';

export interface GuardianOptions {
  /** The store's connection (migrated to v3+). */
  db: Database;
  audit: AuditLog;
  policy?: GuardianPolicyInput;
  /** Finds the live task a change applies to. Without it only custom appliers apply changes. */
  resolveTask?: TaskResolver;
  /** Identifies this process as the owner of its proposals (default: a fresh ULID). */
  ownerId?: string;
  /** Wall clock, epoch ms. */
  now?: () => number;
}

export interface VoteInput {
  /** Named identity of the approver. */
  approver: string;
  /** SHA-256 of the payload the approver saw; must equal the proposal's. */
  payloadHash: string;
  comment?: string;
}

interface ProposalRow {
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

/**
 * Decides and applies the runtime changes the system proposes. A proposal is recorded and
 * decided by the policy at once (approve, deny, or wait for N of M named people); every step is
 * appended to the audit log, and an approved change is applied only after its decision entry
 * is written. Approvals may come from another process on the same store (`fox approvals`, the
 * profiler): {@link sync} picks them up and applies what this process owns.
 *
 * @example
 * const g = new Guardian({ db, audit, policy: { approvers: ['alice', 'bob'], required: 1 } });
 * const p = await g.propose({ kind: 'policy-change', taskId: 'src/a.ts#f', impact: 'medium',
 *   proposer: 'tuner', payload: { policy: 'retry', config: { attempts: 5 } } });
 * await g.approve(p.id, { approver: 'alice', payloadHash: p.payloadHash });
 */
export class Guardian {
  private policy: GuardianPolicy;
  private readonly db: Database;
  private readonly audit: AuditLog;
  private readonly now: () => number;
  readonly ownerId: string;
  private readonly appliers = new Map<string, ChangeApplier>();
  /** Per-proposal apply functions handed to propose() (e.g. auto's `apply`). */
  private readonly pendingApply = new Map<string, () => unknown>();
  private readonly changed = new Emitter<Proposal>();
  /** Fires whenever a proposal changes state (created, voted, decided, applied). */
  readonly onChange: FoxEvent<Proposal> = this.changed.event;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly stmt;

  constructor(options: GuardianOptions) {
    this.db = options.db;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.ownerId = options.ownerId ?? ulid();
    this.policy = GuardianPolicySchema.parse(options.policy ?? {});
    if (options.resolveTask) {
      const apply = taskApplier(options.resolveTask);
      for (const kind of ['strategy-change', 'policy-change', 'limiter-change']) {
        this.appliers.set(kind, apply);
      }
    }
    this.stmt = {
      insert: this.db.prepare(
        `INSERT INTO proposals (id, kind, task_id, payload, payload_hash, impact, proposer,
           evidence, created_at, expires_at, state, required, approvers, reason, owner, updated_at)
         VALUES (@id, @kind, @task_id, @payload, @payload_hash, @impact, @proposer, @evidence,
           @created_at, @expires_at, @state, @required, @approvers, @reason, @owner, @updated_at)`,
      ),
      get: this.db.prepare('SELECT * FROM proposals WHERE id = ?'),
      setState: this.db.prepare(
        'UPDATE proposals SET state = ?, reason = ?, updated_at = ? WHERE id = ?',
      ),
      votes: this.db.prepare('SELECT * FROM approvals WHERE proposal_id = ? ORDER BY at, approver'),
      vote: this.db.prepare(
        `INSERT INTO approvals (proposal_id, approver, verdict, payload_hash, at, comment)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      approvedMine: this.db.prepare(
        "SELECT id FROM proposals WHERE state = 'approved' AND owner = ?",
      ),
      expiredPending: this.db.prepare(
        "SELECT id FROM proposals WHERE state = 'pending' AND expires_at <= ?",
      ),
    };
  }

  /** Replaces the policy (validated; throws a ZodError on bad input). */
  setPolicy(policy: GuardianPolicyInput): void {
    this.policy = GuardianPolicySchema.parse(policy);
  }

  get currentPolicy(): GuardianPolicy {
    return this.policy;
  }

  /** Registers how to apply proposals of a custom kind. Returns a disposable. */
  registerApplier(kind: string, applier: ChangeApplier): Disposable {
    this.appliers.set(kind, applier);
    return {
      dispose: () => void (this.appliers.get(kind) === applier && this.appliers.delete(kind)),
    };
  }

  /**
   * Records a proposal, lets the policy decide, and applies it when approved. `apply`, when
   * given, performs the change instead of the kind's applier (auto passes its own).
   * Resolves with the proposal in its state after the decision (and the apply, if any).
   * Throws {@link GuardianError} `GUARDIAN_INVALID_PROPOSAL` for malformed input.
   */
  async propose(input: ProposalInput, opts: { apply?: () => unknown } = {}): Promise<Proposal> {
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
    try {
      payloadText = canonicalJson(p.payload);
    } catch (err) {
      throw new GuardianError('GUARDIAN_INVALID_PROPOSAL', (err as Error).message);
    }
    const now = this.now();
    const policy = this.policy;
    const d = decide(policy, { kind: p.kind, impact: p.impact, taskId: p.taskId });
    const id = ulid(now);
    const hash = sha256Hex(payloadText);
    const state: ProposalState = policy.dryRun
      ? 'dry-run'
      : d.verdict === 'approve'
        ? 'approved'
        : d.verdict === 'deny'
          ? 'denied'
          : 'pending';
    const row: ProposalRow = {
      id,
      kind: p.kind,
      task_id: p.taskId,
      payload: payloadText,
      payload_hash: hash,
      impact: p.impact,
      proposer: p.proposer,
      evidence: p.evidence === undefined ? null : canonicalJson(p.evidence),
      created_at: now,
      expires_at: now + (p.ttlMs ?? policy.ttlMs),
      state,
      required: d.required,
      approvers: JSON.stringify(policy.approvers),
      reason: d.reason,
      owner: this.ownerId,
      updated_at: now,
    };
    this.db
      .transaction(() => {
        this.stmt.insert.run(row);
        this.audit.append({
          type: 'proposal',
          data: {
            proposalId: id,
            kind: p.kind,
            taskId: p.taskId,
            payload: p.payload,
            payloadHash: hash,
            impact: p.impact,
            proposer: p.proposer,
            expiresAt: row.expires_at,
          },
        });
        // The decision is on the log before anything is applied.
        if (state !== 'pending') {
          this.audit.append({
            type: 'decision',
            data: {
              proposalId: id,
              decision: policy.dryRun ? 'dry-run' : state,
              ...(policy.dryRun ? { wouldBe: d.verdict } : {}),
              by: 'policy',
              reason: d.reason,
              payloadHash: hash,
            },
          });
        }
      })
      .immediate();
    if (opts.apply && state === 'pending') this.pendingApply.set(id, opts.apply);
    this.emit(id);
    if (state === 'approved') return this.applyApproved(id, opts.apply, toProposal(row, []));
    return toProposal(row, []);
  }

  /**
   * Records an approval. Refuses unknown or decided proposals, expired ones (marking them
   * expired), approvers not named on the proposal, the proposer approving their own change,
   * a second vote by the same approver, and a hash that is not the proposal's payload hash.
   * Once N approvals are in, the decision is logged and, in the owning process, applied.
   */
  async approve(id: string, vote: VoteInput): Promise<Proposal> {
    const decided = this.vote(id, 'approve', vote);
    if (decided === 'approved') {
      const p = this.mustGet(id);
      if (p.owner === this.ownerId) return this.applyApproved(id, this.pendingApply.get(id));
    }
    return this.mustGet(id);
  }

  /** Records a rejection by a named approver; one rejection denies the proposal. */
  reject(id: string, vote: Omit<VoteInput, 'payloadHash'> & { payloadHash?: string }): Proposal {
    const p = this.mustGet(id);
    this.vote(id, 'reject', { ...vote, payloadHash: vote.payloadHash ?? p.payloadHash });
    this.pendingApply.delete(id);
    return this.mustGet(id);
  }

  private vote(id: string, verdict: 'approve' | 'reject', v: VoteInput): ProposalState | undefined {
    let expired = false;
    const result = this.db
      .transaction((): ProposalState | undefined => {
        const row = this.stmt.get.get(id) as ProposalRow | undefined;
        if (!row) throw new GuardianError('GUARDIAN_UNKNOWN_PROPOSAL', `no proposal ${id}`);
        if (row.state !== 'pending') {
          throw new GuardianError('GUARDIAN_NOT_PENDING', `proposal ${id} is ${row.state}`);
        }
        const now = this.now();
        if (row.expires_at <= now) {
          this.finish(row, 'expired', 'expired before a decision', 'expiry');
          expired = true;
          return undefined;
        }
        const approvers = JSON.parse(row.approvers) as string[];
        if (!approvers.includes(v.approver)) {
          throw new GuardianError(
            'GUARDIAN_NOT_AN_APPROVER',
            `${v.approver} is not an approver of ${id} (approvers: ${approvers.join(', ') || 'none'})`,
          );
        }
        if (v.approver === row.proposer) {
          throw new GuardianError('GUARDIAN_SELF_APPROVAL', `${v.approver} proposed ${id}`);
        }
        if (v.payloadHash !== row.payload_hash) {
          throw new GuardianError(
            'GUARDIAN_HASH_MISMATCH',
            `the approved hash ${v.payloadHash.slice(0, 12)}… is not the payload's ${row.payload_hash.slice(0, 12)}…`,
          );
        }
        const votes = this.stmt.votes.all(id) as { approver: string; verdict: string }[];
        if (votes.some((x) => x.approver === v.approver)) {
          throw new GuardianError(
            'GUARDIAN_DUPLICATE_VOTE',
            `${v.approver} already voted on ${id}`,
          );
        }
        this.stmt.vote.run(id, v.approver, verdict, v.payloadHash, now, v.comment ?? null);
        this.audit.append({
          type: verdict === 'approve' ? 'approval' : 'rejection',
          data: {
            proposalId: id,
            approver: v.approver,
            payloadHash: v.payloadHash,
            ...(v.comment ? { comment: v.comment } : {}),
          },
        });
        if (verdict === 'reject') {
          this.finish(row, 'denied', `rejected by ${v.approver}`, v.approver);
          return 'denied';
        }
        const approvals = votes.filter((x) => x.verdict === 'approve').length + 1;
        if (approvals >= row.required) {
          this.finish(row, 'approved', `${approvals} of ${row.required} approvals`, v.approver);
          return 'approved';
        }
        return 'pending';
      })
      .immediate();
    this.emit(id);
    if (expired) {
      throw new GuardianError('GUARDIAN_EXPIRED', `proposal ${id} expired before a decision`);
    }
    return result;
  }

  /** Sets a decided state and logs the decision (inside the caller's transaction). */
  private finish(row: ProposalRow, state: ProposalState, reason: string, by: string): void {
    this.stmt.setState.run(state, reason, this.now(), row.id);
    this.audit.append({
      type: 'decision',
      data: { proposalId: row.id, decision: state, by, reason, payloadHash: row.payload_hash },
    });
  }

  private async applyApproved(
    id: string,
    apply: (() => unknown) | undefined,
    known?: Proposal,
  ): Promise<Proposal> {
    this.pendingApply.delete(id);
    const p = known ?? this.mustGet(id);
    const applier = this.appliers.get(p.kind);
    const run = apply ?? (applier ? () => applier(p) : undefined);
    if (!run) {
      // Approved, and nothing here knows how to apply it: it stays approved for whoever does.
      return p;
    }
    let state: ProposalState = 'applied';
    let reason = 'applied';
    try {
      await run();
    } catch (err) {
      state = 'failed';
      reason = (err as Error).message ?? String(err);
    }
    const updatedAt = this.now();
    this.db
      .transaction(() => {
        this.stmt.setState.run(state, reason, updatedAt, id);
        this.audit.append({
          type: state === 'applied' ? 'applied' : 'apply-failed',
          data: {
            proposalId: id,
            payloadHash: p.payloadHash,
            ...(state === 'failed' ? { error: reason } : {}),
          },
        });
      })
      .immediate();
    this.emit(id);
    return { ...p, state, reason, updatedAt };
  }

  /**
   * Expires overdue proposals and applies the ones other processes approved for this one.
   * {@link startSync} runs it on a timer.
   */
  async sync(): Promise<void> {
    const now = this.now();
    for (const { id } of this.stmt.expiredPending.all(now) as { id: string }[]) {
      this.db
        .transaction(() => {
          const row = this.stmt.get.get(id) as ProposalRow | undefined;
          if (row?.state === 'pending')
            this.finish(row, 'expired', 'expired before a decision', 'expiry');
        })
        .immediate();
      this.pendingApply.delete(id);
      this.emit(id);
    }
    for (const { id } of this.stmt.approvedMine.all(this.ownerId) as { id: string }[]) {
      await this.applyApproved(id, this.pendingApply.get(id));
    }
  }

  /** Polls {@link sync} every `ms` (unref'd) until {@link close}. */
  startSync(ms = 250): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sync().catch(() => undefined), ms);
    this.timer.unref();
  }

  get(id: string): Proposal | undefined {
    const row = this.stmt.get.get(id) as ProposalRow | undefined;
    return row ? this.toProposal(row) : undefined;
  }

  private mustGet(id: string): Proposal {
    const p = this.get(id);
    if (!p) throw new GuardianError('GUARDIAN_UNKNOWN_PROPOSAL', `no proposal ${id}`);
    return p;
  }

  /** Proposals, newest first, optionally in one state. */
  list(filter: { state?: ProposalState; limit?: number } = {}): Proposal[] {
    return listProposals(this.db, filter).map((r) => this.toProposal(r));
  }

  private toProposal(r: ProposalRow): Proposal {
    return toProposal(r, this.stmt.votes.all(r.id) as VoteRow[]);
  }

  private emit(id: string): void {
    if (!this.changed.hasListeners) return;
    const p = this.get(id);
    if (p) this.changed.fire(p);
  }

  /**
   * A handler for auto's proposal hook (`setProposalHandler` in modes/auto/proposals.ts):
   * strategy switches become `strategy-change` proposals with auto's own `apply`.
   */
  autoHandler(impact: Proposal['impact'] = 'medium') {
    return async (
      proposal: {
        kind: 'strategy-change';
        taskId: string;
        from: string;
        to: string;
        reason: string;
        evidence: unknown;
      },
      apply: () => Promise<void>,
    ): Promise<'applied' | 'denied' | 'pending'> => {
      const p = await this.propose(
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

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pendingApply.clear();
    this.changed.clear();
  }
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { value: v };
}

interface VoteRow {
  approver: string;
  verdict: 'approve' | 'reject';
  payload_hash: string;
  at: number;
  comment: string | null;
}

function toProposal(r: ProposalRow, votes: VoteRow[]): Proposal {
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
    votes: votes.map((v): Vote => ({
      approver: v.approver,
      verdict: v.verdict,
      payloadHash: v.payload_hash,
      at: v.at,
      comment: v.comment,
    })),
  };
}

function listProposals(
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
