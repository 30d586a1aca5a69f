import { repeatEvery, systemClock, type Clock, type RepeatingTimer } from '../clock/clock.js';
import type {
  SqliteDatabase as Database,
  SqliteTransaction as Transaction,
} from '../store/driver.js';
import { Emitter, type Disposable, type FoxEvent } from '../events/emitter.js';
import type { AuditEvent, AuditLog } from './audit-log.js';
import { GuardianError } from './errors.js';
import { fastUlid as ulid } from './ulid.js';
import { GuardianPolicySchema, type GuardianPolicy, type GuardianPolicyInput } from './policy.js';
import type { Proposal, ProposalInput, ProposalState } from './proposal.js';
import {
  listProposals,
  prepareProposalStatements,
  toProposal,
  type ProposalStatements,
  type ProposalRow,
  type VoteRow,
} from './proposal-rows.js';
import { taskApplier, type ChangeApplier, type TaskResolver } from './appliers.js';
import { autoProposalHandler, type AutoProposalHandler } from './auto-handler.js';
import { draftProposal } from './proposal-draft.js';
import { applyEvent, decisionEvent, voteEvent } from './proposal-audit.js';
import { quorumDecision, validateVote } from './vote-rules.js';

export interface GuardianOptions {
  /** The store's connection (migrated to v3+). */
  db: Database;
  audit: AuditLog;
  policy?: GuardianPolicyInput;
  /** Finds the live task a change applies to. Without it only custom appliers apply changes. */
  resolveTask?: TaskResolver;
  /** Identifies this process as the owner of its proposals (default: a fresh ULID). */
  ownerId?: string;
  /** Time for the approval sync and, unless `now` is given, proposal timestamps and expiry. */
  clock?: Clock;
  /** Wall clock, epoch ms (default: `clock.wallNow`). */
  now?: () => number;
}

export interface VoteInput {
  /** Named identity of the approver. */
  approver: string;
  /** SHA-256 of the payload the approver saw; must equal the proposal's. */
  payloadHash: string;
  comment?: string;
}

/** What a vote's transaction decided: the proposal after it, or that it had expired. */
type VoteOutcome = { expired: true } | { expired: false; proposal: Proposal };

/**
 * Decides and applies the runtime changes the system proposes. A proposal is recorded and
 * decided by the policy at once (approve, deny, or wait for N of M named people); every step is
 * appended to the audit log, and an approved change is applied only after its decision entry
 * is committed. Approvals may come from another process on the same store (`fox approvals`, the
 * profiler): {@link sync} picks them up and applies what this process owns.
 *
 * Each step is one SQLite transaction (the proposal row, its votes and all of that step's audit
 * entries commit together), with statements and transactions prepared once: a decision costs one
 * commit, and an applied change one more after it takes effect.
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
  /** Proposals being applied right now, so {@link sync} does not apply one a second time. */
  private readonly applying = new Set<string>();
  private readonly changed = new Emitter<Proposal>();
  /** Fires whenever a proposal changes state (created, voted, decided, applied). */
  readonly onChange: FoxEvent<Proposal> = this.changed.event;
  private readonly clock: Clock;
  private timer: RepeatingTimer | undefined;
  private readonly stmt: ProposalStatements;
  private readonly tx: {
    record: Transaction<(row: ProposalRow, events: readonly AuditEvent[]) => void>;
    vote: Transaction<
      (id: string, verdict: 'approve' | 'reject', v: Partial<VoteInput>) => VoteOutcome
    >;
    settle: Transaction<
      (id: string, state: ProposalState, reason: string, at: number, event: AuditEvent) => void
    >;
    expire: Transaction<(id: string) => boolean>;
  };

  constructor(options: GuardianOptions) {
    this.db = options.db;
    this.audit = options.audit;
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? (() => this.clock.wallNow());
    this.ownerId = options.ownerId ?? ulid();
    this.policy = GuardianPolicySchema.parse(options.policy ?? {});
    if (options.resolveTask) {
      const apply = taskApplier(options.resolveTask);
      for (const kind of ['strategy-change', 'policy-change', 'limiter-change']) {
        this.appliers.set(kind, apply);
      }
    }
    this.stmt = prepareProposalStatements(this.db);
    this.tx = {
      record: this.db.transaction((row: ProposalRow, events: readonly AuditEvent[]) => {
        this.stmt.insert.run(row);
        this.audit.appendAll(events);
      }),
      vote: this.db.transaction(
        (id: string, verdict: 'approve' | 'reject', v: Partial<VoteInput>) =>
          this.recordVote(id, verdict, v),
      ),
      settle: this.db.transaction(
        (id: string, state: ProposalState, reason: string, at: number, event: AuditEvent) => {
          this.stmt.setState.run(state, reason, at, id);
          this.audit.append(event);
        },
      ),
      expire: this.db.transaction((id: string) => {
        const row = this.stmt.get.get(id) as ProposalRow | undefined;
        if (row?.state !== 'pending') return false;
        this.finish(row, 'expired', 'expired before a decision', 'expiry');
        return true;
      }),
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
    const { row, events } = draftProposal(input, this.policy, this.ownerId, this.now());
    // The same change from the same proposer still awaiting approval (auto asks again after a
    // hold): that proposal, so approvers see one request, not a growing list of copies.
    if (row.state === 'pending') {
      const open = this.stmt.samePending.get(
        row.payload_hash,
        row.task_id,
        row.owner,
        row.proposer,
        row.kind,
        row.created_at,
      ) as ProposalRow | undefined;
      if (open) {
        if (opts.apply) this.pendingApply.set(open.id, opts.apply);
        return toProposal(open, this.stmt.votes.all(open.id) as VoteRow[]);
      }
    }
    // The decision is committed to the log before anything is applied.
    this.tx.record.immediate(row, events);
    if (opts.apply && row.state === 'pending') this.pendingApply.set(row.id, opts.apply);
    // Parsed back from the stored text: the caller's object is not shared with listeners.
    const proposal = toProposal(row, []);
    this.emit(proposal);
    return row.state === 'approved' ? this.applyApproved(proposal, opts.apply) : proposal;
  }

  /**
   * Records an approval. Refuses unknown or decided proposals, expired ones (marking them
   * expired), approvers not named on the proposal, the proposer approving their own change,
   * a second vote by the same approver, and a hash that is not the proposal's payload hash.
   * Once N approvals are in, the decision is logged and, in the owning process, applied.
   */
  async approve(id: string, vote: VoteInput): Promise<Proposal> {
    const p = this.vote(id, 'approve', vote);
    if (p.state === 'approved' && p.owner === this.ownerId) {
      return this.applyApproved(p, this.pendingApply.get(id));
    }
    return p;
  }

  /** Records a rejection by a named approver; one rejection denies the proposal. */
  reject(id: string, vote: Omit<VoteInput, 'payloadHash'> & { payloadHash?: string }): Proposal {
    const p = this.vote(id, 'reject', vote);
    this.pendingApply.delete(id);
    return p;
  }

  private vote(id: string, verdict: 'approve' | 'reject', v: Partial<VoteInput>): Proposal {
    const outcome = this.tx.vote.immediate(id, verdict, v);
    if (outcome.expired) {
      this.pendingApply.delete(id);
      this.emitStored(id);
      throw new GuardianError('GUARDIAN_EXPIRED', `proposal ${id} expired before a decision`);
    }
    this.emit(outcome.proposal);
    return outcome.proposal;
  }

  /** The body of a vote's transaction (a missing `payloadHash` means the proposal's own). */
  private recordVote(
    id: string,
    verdict: 'approve' | 'reject',
    v: Partial<VoteInput>,
  ): VoteOutcome {
    const row = this.stmt.get.get(id) as ProposalRow | undefined;
    if (!row) throw new GuardianError('GUARDIAN_UNKNOWN_PROPOSAL', `no proposal ${id}`);
    if (row.state !== 'pending') {
      throw new GuardianError('GUARDIAN_NOT_PENDING', `proposal ${id} is ${row.state}`);
    }
    const now = this.now();
    if (row.expires_at <= now) {
      // Returned, not thrown: the expiry must commit.
      this.finish(row, 'expired', 'expired before a decision', 'expiry');
      return { expired: true };
    }
    const votes = this.stmt.votes.all(id) as VoteRow[];
    const { approver, payloadHash } = validateVote(row, v, votes);
    const comment = v.comment ?? null;
    this.stmt.vote.run(id, approver, verdict, payloadHash, now, comment);
    votes.push({ approver, verdict, payload_hash: payloadHash, at: now, comment });
    votes.sort((a, b) => a.at - b.at || (a.approver < b.approver ? -1 : 1));
    const events = [voteEvent(id, verdict, { approver, payloadHash, comment })];
    const decided = quorumDecision({ approver, verdict }, votes, row.required);
    let after = row;
    if (decided) {
      this.stmt.setState.run(decided.state, decided.reason, now, id);
      events.push(decisionEvent(row, decided.state, decided.reason, approver));
      after = { ...row, state: decided.state, reason: decided.reason, updated_at: now };
    }
    this.audit.appendAll(events);
    return { expired: false, proposal: toProposal(after, votes) };
  }

  /** Sets a decided state and logs the decision (inside the caller's transaction). */
  private finish(row: ProposalRow, state: ProposalState, reason: string, by: string): void {
    this.stmt.setState.run(state, reason, this.now(), row.id);
    this.audit.append(decisionEvent(row, state, reason, by));
  }

  private async applyApproved(p: Proposal, apply: (() => unknown) | undefined): Promise<Proposal> {
    this.pendingApply.delete(p.id);
    const applier = this.appliers.get(p.kind);
    const run = apply ?? (applier ? () => applier(p) : undefined);
    if (!run) {
      // Approved, and nothing here knows how to apply it: it stays approved for whoever does.
      return p;
    }
    this.applying.add(p.id);
    let state: 'applied' | 'failed' = 'applied';
    let reason = 'applied';
    try {
      await run();
    } catch (err) {
      state = 'failed';
      reason = (err as Error).message ?? String(err);
    }
    const updatedAt = this.now();
    try {
      this.tx.settle.immediate(p.id, state, reason, updatedAt, applyEvent(p, state, reason));
    } finally {
      this.applying.delete(p.id);
    }
    const done: Proposal = { ...p, state, reason, updatedAt };
    this.emit(done);
    return done;
  }

  /**
   * Expires overdue proposals and applies the ones other processes approved for this one.
   * {@link startSync} runs it on a timer.
   */
  async sync(): Promise<void> {
    const now = this.now();
    for (const { id } of this.stmt.expiredPending.all(now) as { id: string }[]) {
      if (!this.tx.expire.immediate(id)) continue;
      this.pendingApply.delete(id);
      this.emitStored(id);
    }
    for (const { id } of this.stmt.approvedMine.all(this.ownerId) as { id: string }[]) {
      if (this.applying.has(id)) continue;
      const p = this.get(id);
      if (p?.state === 'approved') await this.applyApproved(p, this.pendingApply.get(id));
    }
  }

  /** Polls {@link sync} every `ms` (unref'd) until {@link close}. */
  startSync(ms = 250): void {
    if (this.timer) return;
    this.timer = repeatEvery(this.clock, ms, () => void this.sync().catch(() => undefined));
  }

  get(id: string): Proposal | undefined {
    const row = this.stmt.get.get(id) as ProposalRow | undefined;
    return row ? toProposal(row, this.stmt.votes.all(row.id) as VoteRow[]) : undefined;
  }

  /** Proposals, newest first, optionally in one state. */
  list(filter: { state?: ProposalState; limit?: number } = {}): Proposal[] {
    return listProposals(this.db, filter).map((r) =>
      toProposal(r, this.stmt.votes.all(r.id) as VoteRow[]),
    );
  }

  private emit(p: Proposal): void {
    if (this.changed.hasListeners) this.changed.fire(p);
  }

  /** Emits a proposal as stored (for changes made without the proposal in hand). */
  private emitStored(id: string): void {
    if (!this.changed.hasListeners) return;
    const p = this.get(id);
    if (p) this.changed.fire(p);
  }

  /**
   * A handler for auto's proposal hook (`setProposalHandler` in modes/auto/proposals.ts):
   * strategy switches become `strategy-change` proposals with auto's own `apply`.
   */
  autoHandler(impact: Proposal['impact'] = 'medium'): AutoProposalHandler {
    return autoProposalHandler(this, impact);
  }

  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pendingApply.clear();
    this.changed.clear();
  }
}
