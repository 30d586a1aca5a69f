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
    const p = { id: 'A', summary: 'switch' };

    it('delivers through the profiler when it has an approvals channel', async () => {
      const calls: unknown[][] = [];
      const result = await sendDecision(
        { decide: (...args: unknown[]) => calls.push(args) },
        p,
        'approve',
        'me',
      );
      assert.deepEqual(result.delivered, true);
      assert.deepEqual(calls, [['A', 'approve', 'me']]);
    });

    it('says so when nothing can deliver it', async () => {
      assert.equal((await sendDecision(undefined, p, 'reject', 'me')).delivered, false);
      const local = await sendDecision({}, p, 'reject', 'me');
      assert.equal(local.delivered, false);
      assert.match(local.detail, /recorded locally/);
    });
  });
});
