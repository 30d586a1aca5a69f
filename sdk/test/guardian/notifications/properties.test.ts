import assert from 'node:assert/strict';
import fc from 'fast-check';
import { transitionEvents } from '../../../src/guardian/notifications/events.js';
import { slackEscape } from '../../../src/guardian/notifications/payloads.js';
import {
  signatureHeader,
  verifyWebhookSignature,
} from '../../../src/guardian/notifications/signature.js';
import type { ProposalState } from '../../../src/guardian/proposal.js';

/** The paths a proposal's state can take (what the guardian emits, repeats included). */
const path = fc.oneof(
  fc.constant<ProposalState[]>(['approved', 'applied']),
  fc.constant<ProposalState[]>(['approved', 'failed']),
  fc.constant<ProposalState[]>(['approved']),
  fc.constant<ProposalState[]>(['denied']),
  fc.constant<ProposalState[]>(['dry-run']),
  fc.constant<ProposalState[]>(['pending', 'pending', 'approved', 'applied']),
  fc.constant<ProposalState[]>(['pending', 'denied']),
  fc.constant<ProposalState[]>(['pending', 'expired']),
  fc.constant<ProposalState[]>(['pending', 'pending']),
);

describe('guardian notifications: invariants', () => {
  it('each proposal is created once, first; decided at most once, before applied', () => {
    fc.assert(
      fc.property(path, (states) => {
        let previous: ProposalState | undefined;
        const events: string[] = [];
        for (const state of states) {
          events.push(...transitionEvents(previous, { state }));
          previous = state;
        }
        assert.equal(events[0], 'proposal.created');
        assert.equal(events.filter((e) => e === 'proposal.created').length, 1);
        assert.ok(events.filter((e) => e === 'proposal.decided').length <= 1);
        const decided = events.indexOf('proposal.decided');
        const applied = events.findIndex(
          (e) => e === 'proposal.applied' || e === 'proposal.apply-failed',
        );
        if (applied >= 0) assert.ok(decided >= 0 && decided < applied, events.join());
        // Decided exactly when the path left 'pending'.
        assert.equal(
          decided >= 0,
          states.some((s) => s !== 'pending'),
        );
      }),
    );
  });

  it('a signature verifies for its body and secret only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 16 }),
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        (secret, body, extra, t) => {
          const h = signatureHeader(secret, body, t);
          assert.equal(verifyWebhookSignature(secret, h, body, { nowSeconds: t }).ok, true);
          assert.equal(
            verifyWebhookSignature(secret, h, body + extra, { nowSeconds: t }).ok,
            false,
          );
          assert.equal(
            verifyWebhookSignature(secret + extra, h, body, { nowSeconds: t }).ok,
            false,
          );
          assert.equal(verifyWebhookSignature(secret, h, body, { nowSeconds: t + 301 }).ok, false);
        },
      ),
    );
  });

  it('Slack text never carries a raw control character (&, <, >)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const e = slackEscape(s);
        assert.doesNotMatch(e, /[<>]|&(?!amp;|lt;|gt;)/);
        assert.equal(e.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'), s);
      }),
    );
  });
});
