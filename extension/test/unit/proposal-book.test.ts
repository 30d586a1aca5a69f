import assert from 'node:assert/strict';
import type { EventView } from '@fox/profiler';
import { ProposalBook } from '../../src/approvals/proposal-book.js';
import { sendDecision } from '../../src/approvals/decision-channel.js';

const proposal = (
  id: string,
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'applied',
  at: number,
): EventView => ({
  processId: 'p1',
  event: {
    kind: 'proposal',
    at,
    proposalId: id,
    taskId: 'src/a.ts#f',
    summary: `switch ${id}`,
    state,
  },
});

describe('approvals', () => {
  describe('ProposalBook', () => {
    it('lists pending proposals and reports each new one once, across repeated polls', () => {
      const book = new ProposalBook();
      const feed = [proposal('A', 'pending', 1), proposal('B', 'pending', 2)];
      assert.deepEqual(
        book.update(feed).map((p) => p.id),
        ['A', 'B'],
      );
      assert.deepEqual(book.update(feed), [], 'the same window again notifies nothing');
      assert.deepEqual(
        book.pending().map((p) => p.id),
        ['B', 'A'],
        'newest first',
      );
    });

    it('ignores other events and never lets an older event overwrite a newer one', () => {
      const book = new ProposalBook();
      book.update([
        { processId: 'p1', event: { kind: 'limit', at: 1, taskId: 't', from: 1, to: 2 } },
        proposal('A', 'applied', 5),
        proposal('A', 'pending', 3),
      ]);
      assert.equal(book.all().length, 1);
      assert.equal(book.get('A')?.state, 'applied');
      assert.equal(book.pending().length, 0);
    });

    it('remembers proposals that scrolled out of the event window', () => {
      const book = new ProposalBook();
      book.update([proposal('A', 'pending', 1)]);
      book.update([]);
      assert.equal(book.get('A')?.state, 'pending');
    });

    it('keeps a local decision until the process reports the outcome', () => {
      const book = new ProposalBook();
      book.update([proposal('A', 'pending', 1)]);
      assert.equal(book.markDecided('A', 'approve')?.localDecision, 'approve');
      assert.equal(book.pending().length, 0, 'decided here: no longer waiting for this user');
      book.update([proposal('A', 'pending', 2)]);
      assert.equal(book.get('A')?.localDecision, 'approve');
      book.update([proposal('A', 'applied', 3)]);
      assert.equal(book.get('A')?.state, 'applied');
      assert.equal(book.get('A')?.localDecision, undefined);
    });

    it('refuses to decide an unknown or settled proposal', () => {
      const book = new ProposalBook();
      book.update([proposal('A', 'denied', 1)]);
      assert.equal(book.markDecided('A', 'approve'), undefined);
      assert.equal(book.markDecided('nope', 'approve'), undefined);
    });
  });

  describe('sendDecision', () => {
    const hash = 'a'.repeat(64);
    const p = { id: 'A', processId: 'p1', payloadHash: hash };

    it('sends the approval, bound to the payload hash, to the proposing process', async () => {
      const calls: unknown[][] = [];
      const result = await sendDecision(
        { decide: (...args) => (calls.push(args), { ok: true }) },
        p,
        'approve',
        'alice',
      );
      assert.equal(result.delivered, true);
      assert.deepEqual(calls, [
        ['p1', { proposalId: 'A', payloadHash: hash, approver: 'alice', verdict: 'approve' }],
      ]);
    });

    it('says why when it cannot be delivered', async () => {
      assert.equal((await sendDecision(undefined, p, 'reject', 'me')).delivered, false);
      const gone = await sendDecision(
        { decide: () => ({ ok: false, reason: 'process p1 is not connected' }) },
        p,
        'reject',
        'me',
      );
      assert.deepEqual(gone, { delivered: false, detail: 'process p1 is not connected' });
      const noHash = await sendDecision(
        { decide: () => ({ ok: true }) },
        { id: 'A', processId: 'p1' },
        'approve',
        'me',
      );
      assert.equal(noHash.delivered, false);
      assert.match(noHash.detail, /payload hash/);
    });
  });
});
