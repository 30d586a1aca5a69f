import assert from 'node:assert/strict';
import { Emitter } from '../../src/events/emitter.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { connectApprovals } from '../../src/guardian/wire-approvals.js';
import { parseProfilerControlFrame, type ApprovalDecision } from '../../src/protocol/wire.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';
import { nextEvent } from '../support/next-event.js';
import { makeEnv, type Env } from './fixtures.js';

describe('approvals relayed from the profiler', () => {
  let env: Env | undefined;
  afterEach(() => env?.cleanup());

  it('parses only valid v1 approval frames', () => {
    const parseApprovalFrame = (text: string) => {
      const frame = parseProfilerControlFrame(text);
      return frame?.type === 'approval' ? frame.decision : undefined;
    };
    const d = { proposalId: 'P', payloadHash: 'b'.repeat(64), approver: 'bob', verdict: 'approve' };
    assert.deepEqual(
      parseApprovalFrame(JSON.stringify({ type: 'approval', v: 1, decision: d })),
      d,
    );
    assert.equal(
      parseApprovalFrame(JSON.stringify({ type: 'approval', v: 2, decision: d })),
      undefined,
    );
    assert.equal(
      parseApprovalFrame(
        JSON.stringify({ type: 'approval', v: 1, decision: { ...d, verdict: 'maybe' } }),
      ),
      undefined,
    );
    assert.equal(parseApprovalFrame('{'), undefined);
    assert.equal(parseApprovalFrame('x'.repeat(10_000)), undefined);
    assert.deepEqual(
      parseProfilerControlFrame(JSON.stringify({ type: 'chaos-kill', v: 1, reason: 'stop' })),
      { type: 'chaos-kill', v: 1, reason: 'stop' },
    );
  });

  it('feeds relayed decisions to the guardian, which still enforces its rules', async () => {
    env = makeEnv();
    env.clock.t = Date.now();
    const g = new Guardian({
      db: env.store.use(GUARDIAN_TABLES),
      audit: env.audit,
      policy: { approvers: ['bob', 'carol'], required: 1 },
      now: env.clock.now,
    });
    const source = new Emitter<ApprovalDecision>();
    /** Fires the number of refusals so far. */
    const refusals = new Emitter<number>();
    const refused: string[] = [];
    const sub = connectApprovals(source.event, g, (_d, e) => {
      refused.push((e as { code?: string }).code ?? e.message);
      refusals.fire(refused.length);
    });
    const p = await g.propose({
      kind: 'custom-thing',
      taskId: null,
      payload: { x: 1 },
      impact: 'high',
      proposer: 'tuner',
    });
    const bothRefused = nextEvent(refusals.event, (n) => n === 2);
    source.fire({
      proposalId: p.id,
      payloadHash: 'c'.repeat(64),
      approver: 'bob',
      verdict: 'approve',
    });
    source.fire({
      proposalId: p.id,
      payloadHash: p.payloadHash,
      approver: 'mallory',
      verdict: 'approve',
    });
    await bothRefused;
    assert.deepEqual(refused, ['GUARDIAN_HASH_MISMATCH', 'GUARDIAN_NOT_AN_APPROVER']);
    const settled = nextEvent(g.onChange, (q) => q.id === p.id && q.state !== 'pending');
    source.fire({
      proposalId: p.id,
      payloadHash: p.payloadHash,
      approver: 'bob',
      verdict: 'approve',
    });
    assert.equal((await settled).state, 'approved');
    assert.equal(g.get(p.id)?.state, 'approved');
    sub.dispose();
    g.close();
  });
});
