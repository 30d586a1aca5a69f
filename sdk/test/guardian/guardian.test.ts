import assert from 'node:assert/strict';
import { Guardian } from '../../src/guardian/guardian.js';
import { isGuardianError } from '../../src/guardian/errors.js';
import { payloadHash } from '../../src/guardian/canonical-json.js';
import { decide, GuardianPolicySchema } from '../../src/guardian/policy.js';
import type { GuardedTask } from '../../src/guardian/appliers.js';
import { makeEnv, type Env } from './fixtures.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';

function fakeTask() {
  const calls: string[] = [];
  const task: GuardedTask = {
    setStrategy: async (mode) => void calls.push(`strategy:${mode}`),
    policies: {
      get: (kind: never) => ({
        configure: (c: unknown) => void calls.push(`${String(kind)}:${JSON.stringify(c)}`),
      }),
    },
    limiter: { configure: (c: never) => void calls.push(`limiter:${JSON.stringify(c)}`) },
  };
  return { task, calls };
}

const people = {
  approvers: ['alice', 'bob', 'carol'],
  required: 2,
  rules: [{ impact: 'low' as const, decide: 'approve' as const }],
};

describe('guardian', () => {
  let env: Env;
  let g: Guardian;
  let t: ReturnType<typeof fakeTask>;
  beforeEach(() => {
    env = makeEnv();
    t = fakeTask();
    g = new Guardian({
      db: env.store.use(GUARDIAN_TABLES),
      audit: env.audit,
      policy: people,
      resolveTask: (id) => (id === 'src/a.ts#f' ? t.task : undefined),
      now: env.clock.now,
    });
  });
  afterEach(() => {
    g.close();
    env.cleanup();
  });

  const retry5 = {
    kind: 'policy-change',
    taskId: 'src/a.ts#f',
    payload: { policy: 'retry', config: { attempts: 5 } },
    proposer: 'tuner',
  } as const;

  it('auto-approves a low-impact change and applies it after logging the decision', async () => {
    const order: string[] = [];
    const sub = g.onChange((p) => order.push(p.state));
    const p = await g.propose({ ...retry5, impact: 'low' });
    sub.dispose();
    assert.equal(p.state, 'applied');
    assert.deepEqual(t.calls, ['retry:{"attempts":5}']);
    const types = env.audit.entries().map((e) => e.type);
    assert.deepEqual(types, ['proposal', 'decision', 'applied']);
    assert.ok(order.includes('approved'));
  });

  it('writes the decision to the audit log before the change runs', async () => {
    let typesAtApply: string[] = [];
    await g.propose(
      { ...retry5, impact: 'low' },
      { apply: () => void (typesAtApply = env.audit.entries().map((e) => e.type)) },
    );
    assert.deepEqual(typesAtApply, ['proposal', 'decision']);
  });

  it('needs N of M named approvers, refuses self-approval, strangers and double votes', async () => {
    const p = await g.propose({ ...retry5, impact: 'medium', proposer: 'alice' });
    assert.equal(p.state, 'pending');
    assert.equal(p.required, 2);
    const hash = p.payloadHash;
    await assert.rejects(g.approve(p.id, { approver: 'alice', payloadHash: hash }), (e) =>
      isGuardianError(e, 'GUARDIAN_SELF_APPROVAL'),
    );
    await assert.rejects(g.approve(p.id, { approver: 'mallory', payloadHash: hash }), (e) =>
      isGuardianError(e, 'GUARDIAN_NOT_AN_APPROVER'),
    );
    assert.equal((await g.approve(p.id, { approver: 'bob', payloadHash: hash })).state, 'pending');
    await assert.rejects(g.approve(p.id, { approver: 'bob', payloadHash: hash }), (e) =>
      isGuardianError(e, 'GUARDIAN_DUPLICATE_VOTE'),
    );
    assert.deepEqual(t.calls, []);
    const done = await g.approve(p.id, { approver: 'carol', payloadHash: hash });
    assert.equal(done.state, 'applied');
    assert.deepEqual(t.calls, ['retry:{"attempts":5}']);
    await assert.rejects(g.approve(p.id, { approver: 'carol', payloadHash: hash }), (e) =>
      isGuardianError(e, 'GUARDIAN_NOT_PENDING'),
    );
  });

  it('answers the same pending change from the same proposer with the open proposal', async () => {
    const first = await g.propose({ ...retry5, impact: 'medium', proposer: 'auto' });
    const again = await g.propose({ ...retry5, impact: 'medium', proposer: 'auto' });
    assert.equal(again.id, first.id);
    assert.equal(again.state, 'pending');
    // Another change, or the same one from someone else, is a proposal of its own.
    const other = await g.propose({
      ...retry5,
      payload: { policy: 'retry', config: { attempts: 6 } },
      impact: 'medium',
      proposer: 'auto',
    });
    const byAlice = await g.propose({ ...retry5, impact: 'medium', proposer: 'alice' });
    assert.equal(new Set([first.id, other.id, byAlice.id]).size, 3);
    assert.equal(env.audit.entries().filter((e) => e.type === 'proposal').length, 3);
    // Once decided, asking again opens a new one.
    await g.approve(first.id, { approver: 'bob', payloadHash: first.payloadHash });
    await g.approve(first.id, { approver: 'carol', payloadHash: first.payloadHash });
    const later = await g.propose({ ...retry5, impact: 'medium', proposer: 'auto' });
    assert.notEqual(later.id, first.id);
  });

  it('binds approvals to the SHA-256 of the exact payload', async () => {
    const p = await g.propose({ ...retry5, impact: 'high' });
    assert.equal(p.payloadHash, payloadHash({ config: { attempts: 5 }, policy: 'retry' }));
    const other = payloadHash({ policy: 'retry', config: { attempts: 50 } });
    await assert.rejects(g.approve(p.id, { approver: 'bob', payloadHash: other }), (e) =>
      isGuardianError(e, 'GUARDIAN_HASH_MISMATCH'),
    );
    // A changed payload is a new proposal with a new hash: old approvals do not carry over.
    const q = await g.propose({
      ...retry5,
      payload: { policy: 'retry', config: { attempts: 50 } },
      impact: 'high',
    });
    assert.notEqual(q.payloadHash, p.payloadHash);
    assert.equal(q.votes.length, 0);
  });

  it('one rejection denies; nothing is applied', async () => {
    const p = await g.propose({ ...retry5, impact: 'medium' });
    const r = g.reject(p.id, { approver: 'bob', comment: 'not now' });
    assert.equal(r.state, 'denied');
    assert.deepEqual(t.calls, []);
    assert.deepEqual(
      env.audit.entries().map((e) => e.type),
      ['proposal', 'rejection', 'decision'],
    );
  });

  it('expires proposals: approving after expiry is refused and logged', async () => {
    const p = await g.propose({ ...retry5, impact: 'medium', ttlMs: 1000 });
    env.clock.t += 1000;
    await assert.rejects(g.approve(p.id, { approver: 'bob', payloadHash: p.payloadHash }), (e) =>
      isGuardianError(e, 'GUARDIAN_EXPIRED'),
    );
    assert.equal(g.get(p.id)?.state, 'expired');
    const q = await g.propose({ ...retry5, impact: 'medium', ttlMs: 1000 });
    env.clock.t += 5000;
    await g.sync();
    assert.equal(g.get(q.id)?.state, 'expired');
  });

  it('deny rules deny; dry-run logs what it would decide and applies nothing', async () => {
    g.setPolicy({
      ...people,
      rules: [{ kind: 'strategy-change', decide: 'deny' }, { decide: 'approve' }],
    });
    const d = await g.propose({
      kind: 'strategy-change',
      taskId: 'src/a.ts#f',
      payload: { to: 'tfox' },
      impact: 'low',
      proposer: 'auto',
    });
    assert.equal(d.state, 'denied');
    g.setPolicy({ ...people, dryRun: true, rules: [{ decide: 'approve' }] });
    const r = await g.propose({ ...retry5, impact: 'low' });
    assert.equal(r.state, 'dry-run');
    assert.deepEqual(t.calls, []);
    const last = env.audit.entries().at(-1)!;
    assert.equal(last.data['decision'], 'dry-run');
    assert.equal(last.data['wouldBe'], 'approve');
  });

  it('applies strategy and limiter changes; a failing apply is logged as failed', async () => {
    g.setPolicy({ ...people, rules: [{ decide: 'approve' }] });
    assert.equal(
      (
        await g.propose({
          kind: 'strategy-change',
          taskId: 'src/a.ts#f',
          payload: { to: 'tfox' },
          impact: 'high',
          proposer: 'auto',
        })
      ).state,
      'applied',
    );
    assert.equal(
      (
        await g.propose({
          kind: 'limiter-change',
          taskId: 'src/a.ts#f',
          payload: { config: { max: 50 } },
          impact: 'high',
          proposer: 'tuner',
        })
      ).state,
      'applied',
    );
    assert.deepEqual(t.calls, ['strategy:tfox', 'limiter:{"max":50}']);
    const bad = await g.propose({
      kind: 'strategy-change',
      taskId: 'src/missing.ts#f',
      payload: { to: 'tfox' },
      impact: 'low',
      proposer: 'auto',
    });
    assert.equal(bad.state, 'failed');
    const bad2 = await g.propose({
      kind: 'strategy-change',
      taskId: 'src/a.ts#f',
      payload: { to: 'warp' },
      impact: 'low',
      proposer: 'auto',
    });
    assert.equal(bad2.state, 'failed');
    assert.equal(env.audit.entries().at(-1)!.type, 'apply-failed');
  });

  it('refuses malformed proposals before recording anything', async () => {
    const bad = [
      { kind: '', taskId: null, payload: {}, impact: 'low', proposer: 'x' },
      { kind: 'Bad Kind', taskId: null, payload: {}, impact: 'low', proposer: 'x' },
      { kind: 'x', taskId: null, payload: {}, impact: 'huge', proposer: 'x' },
      { kind: 'x', taskId: null, payload: {}, impact: 'low', proposer: '' },
      { kind: 'x', taskId: null, payload: { f: () => 1 }, impact: 'low', proposer: 'x' },
      { kind: 'x', taskId: null, payload: {}, impact: 'low', proposer: 'x', extra: 1 },
    ];
    for (const input of bad) {
      await assert.rejects(g.propose(input as never), (e) =>
        isGuardianError(e, 'GUARDIAN_INVALID_PROPOSAL'),
      );
    }
    assert.equal(env.audit.entries().length, 0);
    await assert.rejects(g.approve('nope', { approver: 'bob', payloadHash: 'x' }), (e) =>
      isGuardianError(e, 'GUARDIAN_UNKNOWN_PROPOSAL'),
    );
  });

  it('applies in the owning process what another process approved (sync)', async () => {
    const p = await g.propose({ ...retry5, impact: 'medium' }, {});
    const other = new Guardian({
      db: env.store.use(GUARDIAN_TABLES),
      audit: env.audit,
      now: env.clock.now,
    });
    await other.approve(p.id, { approver: 'bob', payloadHash: p.payloadHash });
    const approved = await other.approve(p.id, { approver: 'carol', payloadHash: p.payloadHash });
    assert.equal(approved.state, 'approved'); // not its proposal: it does not apply it
    assert.deepEqual(t.calls, []);
    await g.sync();
    assert.equal(g.get(p.id)?.state, 'applied');
    assert.deepEqual(t.calls, ['retry:{"attempts":5}']);
    other.close();
  });

  it('routes auto strategy proposals through its handler', async () => {
    let applied = 0;
    const handler = g.autoHandler('low');
    const d = await handler(
      {
        kind: 'strategy-change',
        taskId: 'src/a.ts#f',
        from: 'sfox',
        to: 'tfox',
        reason: 'blocks',
        evidence: { syncMs: 40 },
      },
      async () => void applied++,
    );
    assert.equal(d, 'applied');
    assert.equal(applied, 1);
    const pending = await g.autoHandler('high')(
      {
        kind: 'strategy-change',
        taskId: 'src/a.ts#f',
        from: 'tfox',
        to: 'sfox',
        reason: 'idle',
        evidence: {},
      },
      async () => void applied++,
    );
    assert.equal(pending, 'pending');
    const p = g.list({ state: 'pending' })[0]!;
    await g.approve(p.id, { approver: 'bob', payloadHash: p.payloadHash });
    await g.approve(p.id, { approver: 'carol', payloadHash: p.payloadHash });
    assert.equal(applied, 2);
  });

  it('applies an approved change once when sync runs while it is being applied', async () => {
    let applied = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    g.registerApplier('slow-change', async () => {
      applied++;
      await gate;
    });
    const p = await g.propose({
      kind: 'slow-change',
      taskId: null,
      payload: { x: 1 },
      impact: 'high',
      proposer: 'tuner',
    });
    await g.approve(p.id, { approver: 'alice', payloadHash: p.payloadHash });
    const approving = g.approve(p.id, { approver: 'bob', payloadHash: p.payloadHash });
    // Approved and being applied: the poll for approvals made elsewhere sees it as approved.
    const syncing = g.sync();
    release();
    await syncing;
    assert.equal((await approving).state, 'applied');
    assert.equal(applied, 1);
    assert.deepEqual(
      env.audit
        .entries()
        .filter((e) => e.type === 'applied')
        .map((e) => e.data['proposalId']),
      [p.id],
    );
  });

  it('returns and emits the proposal as stored, without reading it back', async () => {
    const seen: unknown[] = [];
    const sub = g.onChange((p) => seen.push(p));
    const auto = await g.propose({ ...retry5, impact: 'low' });
    const pending = await g.propose({ ...retry5, impact: 'high', evidence: { why: [1, 'a'] } });
    await g.approve(pending.id, {
      approver: 'alice',
      payloadHash: pending.payloadHash,
      comment: 'ok',
    });
    const done = await g.approve(pending.id, { approver: 'bob', payloadHash: pending.payloadHash });
    sub.dispose();
    assert.deepEqual(auto, g.get(auto.id));
    assert.deepEqual(done, g.get(pending.id));
    assert.deepEqual(seen.at(-1), g.get(pending.id));
    assert.deepEqual(
      done.votes.map((v) => [v.approver, v.comment]),
      [
        ['alice', 'ok'],
        ['bob', null],
      ],
    );
  });
});

describe('guardian policy', () => {
  it('validates: unique approvers, N ≤ M, strict keys', () => {
    assert.throws(() => GuardianPolicySchema.parse({ approvers: ['a', 'a'] }));
    assert.throws(() => GuardianPolicySchema.parse({ approvers: ['a'], required: 2 }));
    assert.throws(() =>
      GuardianPolicySchema.parse({ approvers: ['a'], rules: [{ decide: 'people', required: 3 }] }),
    );
    assert.throws(() => GuardianPolicySchema.parse({ nope: 1 }));
    assert.throws(() => GuardianPolicySchema.parse({ ttlMs: 5 }));
  });

  it('denies people-decisions when nobody can approve', () => {
    const d = decide(GuardianPolicySchema.parse({}), { kind: 'x', impact: 'high', taskId: null });
    assert.equal(d.verdict, 'deny');
    assert.match(d.reason, /no.*approvers|none are configured/);
  });

  it('matches rules by kind, impact and task glob, first match wins', () => {
    const p = GuardianPolicySchema.parse({
      approvers: ['a'],
      rules: [
        { task: 'src/pay/**', decide: 'people' },
        { kind: 'chaos-experiment', decide: 'deny' },
        { impact: 'low', decide: 'approve' },
      ],
    });
    assert.equal(
      decide(p, { kind: 'x', impact: 'low', taskId: 'src/pay/a.ts#f' }).verdict,
      'people',
    );
    assert.equal(
      decide(p, { kind: 'chaos-experiment', impact: 'low', taskId: null }).verdict,
      'deny',
    );
    assert.equal(decide(p, { kind: 'x', impact: 'low', taskId: 'src/a.ts#f' }).verdict, 'approve');
    assert.equal(decide(p, { kind: 'x', impact: 'high', taskId: 'src/a.ts#f' }).verdict, 'people');
  });
});
