import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EventView } from '@fox/profiler';
import { ProposalBook, proposalForDecision } from '../../src/approvals/proposal-book.js';
import {
  approverName,
  sendDecision,
  sendDecisions,
  type DecisionTarget,
} from '../../src/approvals/decision-channel.js';

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
      const version = book.version;
      assert.deepEqual(book.update(feed), [], 'the same window again notifies nothing');
      assert.equal(book.version, version, 'and changes nothing: no redraw');
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
      const version = book.version;
      assert.equal(book.markDecided('A', 'approve')?.localDecision, 'approve');
      assert.ok(book.version > version, 'a decision redraws');
      assert.equal(book.pending().length, 0, 'decided here: no longer waiting for this user');
      book.update([proposal('A', 'pending', 2)]);
      assert.equal(book.get('A')?.localDecision, 'approve');
      book.update([proposal('A', 'applied', 3)]);
      assert.equal(book.get('A')?.state, 'applied');
      assert.equal(book.get('A')?.localDecision, undefined);
    });

    describe('repeats of one change', () => {
      const hash = (c: string) => c.repeat(64);
      const change = (
        id: string,
        at: number,
        over: { processId?: string; taskId?: string; hash?: string; state?: 'pending' } = {},
      ): EventView => ({
        processId: over.processId ?? 'p1',
        event: {
          kind: 'proposal',
          at,
          proposalId: id,
          taskId: over.taskId ?? 'src/a.ts#f',
          summary: 'strategy-change by auto: {"from":"sfox","to":"tfox"}',
          state: over.state ?? 'pending',
          payloadHash: over.hash ?? hash('a'),
        },
      });

      it('folds open proposals of the same change into the first, notified once', () => {
        const book = new ProposalBook();
        assert.deepEqual(
          book.update([change('A', 1)]).map((p) => p.id),
          ['A'],
        );
        assert.deepEqual(book.update([change('B', 2), change('C', 3)]), [], 'repeats: no news');
        assert.deepEqual(
          book.pending().map((p) => [p.id, p.repeats]),
          [['A', 2]],
        );
        assert.deepEqual(
          book.decidedWith('A').map((p) => p.id),
          ['A', 'B', 'C'],
        );
      });

      it('keeps different changes apart: another hash, task or process', () => {
        const book = new ProposalBook();
        const fresh = book.update([
          change('A', 1),
          change('B', 2, { hash: hash('b') }),
          change('C', 3, { taskId: 'src/a.ts#g' }),
          change('D', 4, { processId: 'p2' }),
        ]);
        assert.equal(fresh.length, 4);
        assert.equal(book.pending().length, 4);
        assert.ok(book.pending().every((p) => p.repeats === undefined));
      });

      it('never folds proposals without a payload hash (they cannot be compared)', () => {
        const book = new ProposalBook();
        book.update([proposal('A', 'pending', 1), proposal('B', 'pending', 2)]);
        assert.equal(book.pending().length, 2);
      });

      it('decides a change with all its repeats; each outcome then shows on its own', () => {
        const book = new ProposalBook();
        book.update([change('A', 1), change('B', 2)]);
        book.markDecided('A', 'approve');
        assert.equal(book.get('B')?.localDecision, 'approve');
        assert.deepEqual(book.pending(), []);
        assert.deepEqual(book.update([change('C', 3)]), [], 'just decided here: no news');
        book.update([
          { ...change('A', 4), event: { ...change('A', 4).event, state: 'applied' } } as EventView,
        ]);
        assert.deepEqual(
          book.all().map((p) => [p.id, p.state]),
          [
            ['A', 'applied'],
            ['C', 'pending'],
            ['B', 'pending'],
          ],
        );
        book.update([
          { ...change('B', 5), event: { ...change('B', 5).event, state: 'applied' } } as EventView,
        ]);
        assert.deepEqual(
          book.all().map((p) => [p.id, p.state, p.repeats]),
          [
            ['A', 'applied', 1],
            ['C', 'pending', undefined],
          ],
          'decided alike: one row',
        );
      });

      it('shows every open proposal exactly once (property)', () => {
        const event = fc.record({
          id: fc.constantFrom('A', 'B', 'C', 'D', 'E'),
          at: fc.integer({ min: 1, max: 50 }),
          processId: fc.constantFrom('p1', 'p2'),
          hash: fc.constantFrom(hash('a'), hash('b')),
          state: fc.constantFrom('pending', 'pending', 'applied', 'denied') as fc.Arbitrary<
            'pending' | 'applied' | 'denied'
          >,
        });
        fc.assert(
          fc.property(fc.array(fc.array(event, { maxLength: 6 }), { maxLength: 6 }), (polls) => {
            const book = new ProposalBook();
            for (const poll of polls) {
              book.update(
                poll.map((e) => ({
                  ...change(e.id, e.at, { processId: e.processId, hash: e.hash }),
                  event: { ...change(e.id, e.at, { hash: e.hash }).event, state: e.state },
                })),
              );
            }
            const open = [...new Set(polls.flat().map((e) => e.id))]
              .map((id) => book.get(id)!)
              .filter((p) => p.state === 'pending');
            const shown = book.pending();
            const covered = shown.flatMap((p) => book.decidedWith(p.id).map((q) => q.id));
            assert.deepEqual([...covered].sort(), open.map((p) => p.id).sort());
            const keys = shown.map((p) => `${p.processId} ${p.payloadHash}`);
            assert.equal(new Set(keys).size, keys.length, 'one row per change');
            assert.equal(
              shown.reduce((n, p) => n + 1 + (p.repeats ?? 0), 0),
              open.length,
            );
          }),
        );
      });

      it('checks a panel decision against the proposal it names', () => {
        const book = new ProposalBook();
        book.update([change('A', 1), change('Z', 2, { state: 'pending', hash: hash('c') })]);
        const ask = { processId: 'p1', proposalId: 'A', payloadHash: hash('a') };
        assert.equal('item' in proposalForDecision(book, ask), true);
        assert.deepEqual(proposalForDecision(book, { ...ask, proposalId: 'nope' }), {
          reason: 'unknown proposal',
        });
        assert.deepEqual(proposalForDecision(book, { ...ask, processId: 'p2' }), {
          reason: 'unknown proposal',
        });
        assert.match(
          (proposalForDecision(book, { ...ask, payloadHash: hash('b') }) as { reason: string })
            .reason,
          /changed/,
        );
        book.update([
          { ...change('A', 5), event: { ...change('A', 5).event, state: 'denied' } } as EventView,
        ]);
        assert.deepEqual(proposalForDecision(book, ask), { reason: 'the proposal is denied' });
      });
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

    it('sends one decision to a change and its repeats, and says so', async () => {
      const sent: string[] = [];
      const target: DecisionTarget = {
        decide: (_process, d) => (
          sent.push(`${d.proposalId}:${d.verdict}:${d.approver}`),
          { ok: true }
        ),
      };
      const result = await sendDecisions(
        target,
        [p, { ...p, id: 'B' }, { ...p, id: 'C' }],
        'approve',
        'alice',
      );
      assert.deepEqual(sent, ['A:approve:alice', 'B:approve:alice', 'C:approve:alice']);
      assert.deepEqual(result, {
        delivered: true,
        detail: 'approval sent (and for 2 repeats of the same change)',
      });
      const refused = await sendDecisions(
        { decide: () => ({ ok: false, reason: 'process not connected' }) },
        [p, { ...p, id: 'B' }],
        'reject',
        'alice',
      );
      assert.deepEqual(refused, { delivered: false, detail: 'process not connected' });
      assert.equal((await sendDecisions(target, [], 'approve', 'alice')).delivered, false);
    });

    it('approves as the configured name, else as this machine', () => {
      assert.equal(approverName(' alice@example.com ', 'abcdef0123456789'), 'alice@example.com');
      assert.equal(approverName('', 'abcdef0123456789'), 'vscode:abcdef012345');
      assert.equal(approverName(undefined, 'abcdef0123456789'), 'vscode:abcdef012345');
      assert.equal(approverName('x'.repeat(300), 'm').length, 128, 'the wire limit');
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
