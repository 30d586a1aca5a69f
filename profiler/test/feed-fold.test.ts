import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { WireEvent } from '@fox/sdk/protocol';
import { foldFeed } from '../src/live/feed-fold.js';
import type { EventView } from '../src/live/view.js';

const STATES = ['pending', 'approved', 'denied', 'expired', 'applied'] as const;

const proposalEvent = (id: string, at: number, state: (typeof STATES)[number]): EventView => ({
  processId: 'P',
  event: {
    kind: 'proposal',
    at,
    proposalId: id,
    taskId: 't#x',
    summary: `proposal ${id}`,
    state,
    ...(state === 'pending' ? { payloadHash: 'b'.repeat(64), approvalsNeeded: 1 } : {}),
  },
});

describe('folding the events feed', () => {
  it('the latest event decides a proposal’s state, whatever order the events arrive in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom(...STATES), { minLength: 8, maxLength: 8 }),
        fc.integer(),
        (times, states, seed) => {
          const events = times.map((at, i) => proposalEvent('X', at, states[i]!));
          const latest = events.reduce((a, b) => (b.event.at > a.event.at ? b : a));
          // A deterministic shuffle.
          const shuffled = [...events].sort(
            (a, b) => ((a.event.at * 31 + seed) % 97) - ((b.event.at * 31 + seed) % 97),
          );
          const { proposals } = foldFeed(shuffled);
          assert.equal(proposals.length, 1);
          assert.equal(proposals[0]!.state, (latest.event as { state: string }).state);
          assert.equal(proposals[0]!.createdAt, Math.min(...times));
          // Folding again changes nothing (the UI re-folds the same window every push).
          assert.deepEqual(foldFeed([...shuffled, ...shuffled]).proposals, proposals);
        },
      ),
    );
  });

  it('keeps the payload hash of the pending event once the proposal is decided', () => {
    const { proposals } = foldFeed([
      proposalEvent('Y', 1, 'pending'),
      proposalEvent('Y', 2, 'applied'),
    ]);
    assert.equal(proposals[0]!.payloadHash, 'b'.repeat(64));
    assert.equal(proposals[0]!.approvalsNeeded, undefined);
  });

  it('keeps who approved a proposal and the audit entry behind it once it is applied', () => {
    const approved = proposalEvent('Z', 2, 'approved');
    const { proposals } = foldFeed([
      proposalEvent('Z', 1, 'pending'),
      { ...approved, event: { ...approved.event, approvers: ['alice'], auditId: 'A1' } as never },
      proposalEvent('Z', 3, 'applied'),
    ]);
    assert.deepEqual(
      { approvers: proposals[0]!.approvers, auditId: proposals[0]!.auditId },
      { approvers: ['alice'], auditId: 'A1' },
    );
  });

  it('follows a chaos experiment from start to abort, and keeps the abort over the stop', () => {
    const chaos = (at: number, action: 'start' | 'stop' | 'abort'): EventView => ({
      processId: 'P',
      event: {
        kind: 'chaos',
        at,
        experimentId: 'E',
        action,
        taskIds: action === 'start' ? ['t#x'] : [],
        ...(action === 'abort' ? { detail: 'p99 breach' } : {}),
      } satisfies WireEvent,
    });
    assert.equal(foldFeed([chaos(1, 'start')]).chaosRuns[0]!.state, 'running');
    const [run] = foldFeed([chaos(1, 'start'), chaos(2, 'abort'), chaos(3, 'stop')]).chaosRuns;
    assert.deepEqual(run, {
      processId: 'P',
      experimentId: 'E',
      taskIds: ['t#x'],
      state: 'aborted',
      startedAt: 1,
      endedAt: 2,
      detail: 'p99 breach',
    });
  });
});
