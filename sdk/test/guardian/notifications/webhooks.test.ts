import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { GUARDIAN_TABLES } from '../../../src/guardian/guardian-schema.js';
import { Guardian } from '../../../src/guardian/guardian.js';
import type { GuardianNotification } from '../../../src/guardian/notifications/events.js';
import { GuardianNotifier } from '../../../src/guardian/notifications/notifier.js';
import {
  parseNotificationsOptions,
  type NotificationsOptionsInput,
} from '../../../src/guardian/notifications/options.js';
import { verifyWebhookSignature } from '../../../src/guardian/notifications/signature.js';
import { isFoxError } from '../../../src/errors/errors.js';
import { parseRuntimeConfig } from '../../../src/runtime/config.js';
import { makeEnv, type Env } from '../fixtures.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'a-shared-secret-of-32-characters';

/** The shapes the assertions read (a missing member fails them). */
type JsonBody = GuardianNotification & { source: string };
interface SlackMessage {
  text: string;
  blocks: { type: string; fields: { type: string; text: string }[] }[];
}
interface TeamsMessage {
  type: string;
  attachments: {
    contentType: string;
    content: {
      type: string;
      version: string;
      body: { type: string; facts?: { title: string; value: string }[] }[];
    };
  }[];
}

describe('guardian webhooks (real HTTP server on 127.0.0.1)', () => {
  let env: Env;
  let g: Guardian;
  let rx: Receiver;
  let notifier: GuardianNotifier | undefined;
  let warnings: string[];

  beforeEach(async () => {
    env = makeEnv();
    env.clock.t = Date.now();
    g = new Guardian({
      db: env.store.use(GUARDIAN_TABLES),
      audit: env.audit,
      policy: {
        approvers: ['alice', 'bob'],
        required: 1,
        rules: [{ impact: 'low', decide: 'approve' }],
      },
      now: () => Date.now(),
    });
    g.registerApplier('policy-change', () => undefined);
    rx = await startReceiver();
    warnings = [];
  });
  afterEach(async () => {
    notifier?.close();
    notifier = undefined;
    g.close();
    await rx.close();
    env.cleanup();
  });

  function notify(
    webhook: Partial<NonNullable<NotificationsOptionsInput['webhooks']>[number]> = {},
    rest: Omit<NotificationsOptionsInput, 'webhooks'> = {},
  ) {
    notifier = new GuardianNotifier(
      parseNotificationsOptions({
        webhooks: [
          {
            url: rx.url,
            secret: SECRET,
            retry: { attempts: 3, delay: 5, backoff: 'constant' },
            ...webhook,
          },
        ],
        concurrency: 1,
        ...rest,
      }),
      { warn: (m) => void warnings.push(m) },
    );
    notifier.attach(g.onChange);
    return notifier;
  }

  const propose = (impact: 'low' | 'high', attempts = 4) =>
    g.propose({
      kind: 'policy-change',
      taskId: 'src/pay.ts#charge',
      payload: { policy: 'retry', config: { attempts } },
      impact,
      proposer: 'tuner',
    });

  const bodies = () => rx.received.map((r) => JSON.parse(r.body) as JsonBody);

  it('signs each delivery with HMAC-SHA256 over timestamp and body; receivers can verify', async () => {
    const n = notify();
    await propose('low');
    await n.idle();
    assert.equal(rx.received.length, 3);
    for (const r of rx.received) {
      const header = String(r.headers['fox-signature']);
      // Checked here by hand, as a receiver in another language would.
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      assert.ok(m, header);
      const mac = createHmac('sha256', SECRET).update(`${m[1]}.${r.body}`).digest('hex');
      assert.equal(m[2], mac);
      assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 60);
      assert.deepEqual(verifyWebhookSignature(SECRET, header, r.body).ok, true);
      // A changed body, another secret, or an old timestamp (replay) fail.
      assert.deepEqual(verifyWebhookSignature(SECRET, header, r.body + ' '), {
        ok: false,
        reason: 'mismatch',
      });
      assert.equal(verifyWebhookSignature('another-secret-of-16+', header, r.body).ok, false);
      assert.deepEqual(
        verifyWebhookSignature(SECRET, header, r.body, { nowSeconds: Number(m[1]) + 3600 }),
        { ok: false, reason: 'stale' },
      );
      assert.equal(verifyWebhookSignature(SECRET, 'v1=abc', r.body).ok, false);
    }
  });

  it('sends created, decided and applied for an auto-approved change (generic JSON)', async () => {
    const n = notify();
    const p = await propose('low');
    assert.equal(p.state, 'applied');
    await n.idle();
    const got = bodies();
    assert.deepEqual(
      got.map((b) => b['event']),
      ['proposal.created', 'proposal.decided', 'proposal.applied'],
    );
    assert.deepEqual(
      rx.received.map((r) => r.headers['fox-event']),
      got.map((b) => b['event']),
    );
    for (const b of got) {
      assert.equal(b['source'], 'fox.guardian');
      assert.match(b['id'], /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.equal(b['proposal'].id, p.id);
      assert.equal(b['proposal'].payloadHash, p.payloadHash);
      assert.deepEqual(b['proposal'].payload, { policy: 'retry', config: { attempts: 4 } });
      assert.equal(b['proposal'].taskId, 'src/pay.ts#charge');
    }
    assert.equal(n.stats().webhooks[0]!.delivered, 3);
  });

  it('sends created for a pending proposal, then decided and applied once approved', async () => {
    const n = notify();
    const p = await propose('high');
    await n.idle();
    assert.deepEqual(
      bodies().map((b) => [b['event'], b['proposal'].state]),
      [['proposal.created', 'pending']],
    );
    await g.approve(p.id, { approver: 'bob', payloadHash: p.payloadHash });
    await n.idle();
    const got = bodies();
    assert.deepEqual(
      got.slice(1).map((b) => [b['event'], b['proposal'].state]),
      [
        ['proposal.decided', 'approved'],
        ['proposal.applied', 'applied'],
      ],
    );
    assert.deepEqual(got[1]!['proposal'].approvals, ['bob']);
    // A rejection decides (denied) and nothing is applied.
    const q = await propose('high', 5);
    g.reject(q.id, { approver: 'alice' });
    await n.idle();
    assert.deepEqual(
      bodies()
        .slice(3)
        .map((b) => [b['event'], b['proposal'].state]),
      [
        ['proposal.created', 'pending'],
        ['proposal.decided', 'denied'],
      ],
    );
    // A rollback is announced by whoever rolls back.
    n.rolledBack(g.get(p.id)!, 'p99 regressed by 40% in the watch window');
    await n.idle();
    const last = bodies().at(-1)!;
    assert.equal(last['event'], 'proposal.rolled-back');
    assert.equal(last['detail'], 'p99 regressed by 40% in the watch window');
  });

  it('filters events per webhook', async () => {
    const n = notify({ events: ['proposal.applied'] });
    await propose('low');
    await propose('high');
    await n.idle();
    assert.deepEqual(
      bodies().map((b) => b['event']),
      ['proposal.applied'],
    );
  });

  it('retries 500s with the retry policy (same delivery id), then delivers', async () => {
    rx.script = [500, 503];
    const outcomes: { ok: boolean; attempts: number }[] = [];
    const n = notify();
    n.onDelivery((o) => outcomes.push({ ok: o.ok, attempts: o.attempts }));
    await propose('high');
    await n.idle();
    assert.equal(rx.received.length, 3);
    assert.deepEqual(
      rx.received.map((r) => r.headers['fox-attempt']),
      ['1', '2', '3'],
    );
    assert.equal(new Set(rx.received.map((r) => r.headers['fox-delivery'])).size, 1);
    // Each attempt is signed afresh and verifies.
    for (const r of rx.received) {
      assert.equal(
        verifyWebhookSignature(SECRET, String(r.headers['fox-signature']), r.body).ok,
        true,
      );
    }
    assert.deepEqual(outcomes, [{ ok: true, attempts: 3 }]);
    const c = n.stats().webhooks[0]!;
    assert.deepEqual([c.delivered, c.failed, c.retries], [1, 0, 2]);
    assert.deepEqual(warnings, []);
  });

  it("with thread: 'main' (no worker), delivers, retries and times out the same way", async () => {
    rx.script = [500];
    const n = notify({ timeoutMs: 200 }, { thread: 'main' });
    await propose('high');
    await n.idle();
    assert.deepEqual(
      rx.received.map((r) => r.headers['fox-attempt']),
      ['1', '2'],
    );
    assert.equal(
      verifyWebhookSignature(
        SECRET,
        String(rx.received[1]!.headers['fox-signature']),
        rx.received[1]!.body,
      ).ok,
      true,
    );
    rx.hang = true;
    await propose('high', 8);
    await n.idle();
    const c = n.stats().webhooks[0]!;
    assert.deepEqual([c.delivered, c.failed], [1, 1]);
    assert.match(warnings.at(-1)!, /no answer within 200 ms/);
  });

  it('logs and counts a delivery that fails every attempt; a 4xx is not retried', async () => {
    rx.fallback = 500;
    const n = notify();
    await propose('high');
    await n.idle();
    assert.equal(rx.received.length, 3);
    assert.equal(n.stats().webhooks[0]!.failed, 1);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /failed to deliver proposal\.created .* after 3 attempt\(s\): HTTP 500/,
    );
    // The URL's path is never logged (Slack and Teams URLs are secrets).
    assert.doesNotMatch(warnings[0]!, /\/hook/);
    rx.fallback = 400;
    await propose('high', 7);
    await n.idle();
    assert.equal(rx.received.length, 4);
    assert.equal(n.stats().webhooks[0]!.failed, 2);
  });

  it('stops retrying when the retry budget is spent', async () => {
    rx.fallback = 500;
    // No reserve beyond one token and no deposits: one retry in all, then first attempts only.
    const n = notify({ retry: { attempts: 5, delay: 1, budget: { ratio: 0, minPerSecond: 0 } } });
    await propose('high');
    await propose('high', 6);
    await n.idle();
    assert.equal(rx.received.length, 3);
    const c = n.stats().webhooks[0]!;
    assert.deepEqual([c.failed, c.retries], [2, 1]);
  });

  it('retries when the receiver is down (connection refused)', async () => {
    const url = rx.url;
    await rx.close();
    rx = await startReceiver(); // a live one for afterEach; the first port is closed
    const n = notify({ url });
    await propose('high');
    await n.idle();
    const c = n.stats().webhooks[0]!;
    assert.deepEqual([c.failed, c.retries], [1, 2]);
    assert.match(warnings[0]!, /after 3 attempt/);
  });

  it('sends Slack- and Teams-compatible payloads, escaped', async () => {
    const slack = await startReceiver();
    const teams = await startReceiver();
    try {
      notifier = new GuardianNotifier(
        parseNotificationsOptions({
          webhooks: [
            { url: slack.url, format: 'slack' },
            { url: teams.url, format: 'teams' },
          ],
        }),
      );
      notifier.attach(g.onChange);
      await g.propose({
        kind: 'policy-change',
        taskId: 'src/<b>&x.ts#f',
        payload: { policy: 'retry', config: { attempts: 2 } },
        impact: 'high',
        proposer: 'tuner',
      });
      await notifier.idle();
      const s = JSON.parse(slack.received[0]!.body) as SlackMessage;
      assert.equal(typeof s.text, 'string');
      assert.match(s.text, /src\/&lt;b&gt;&amp;x\.ts#f/);
      assert.doesNotMatch(JSON.stringify(s), /<b>/);
      assert.deepEqual(
        s.blocks.map((b) => b.type),
        ['header', 'section', 'section', 'context'],
      );
      assert.ok(s.blocks[2]!.fields.length <= 10);
      for (const f of s.blocks[2]!.fields) assert.equal(f.type, 'mrkdwn');
      assert.equal(slack.received[0]!.headers['fox-signature'], undefined); // no secret: unsigned
      const t = JSON.parse(teams.received[0]!.body) as TeamsMessage;
      assert.equal(t.type, 'message');
      assert.equal(t.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
      const card = t.attachments[0]!.content;
      assert.equal(card.type, 'AdaptiveCard');
      assert.equal(card.version, '1.4');
      const facts = card.body.find((b) => b.type === 'FactSet')!.facts!;
      assert.ok(facts.some((f) => f.title === 'Task' && f.value === 'src/<b>&x.ts#f'));
      assert.ok(facts.some((f) => f.title === 'Decide with' && /fox approvals/.test(f.value)));
    } finally {
      await slack.close();
      await teams.close();
    }
  });

  it('never takes an approval from a webhook answer', async () => {
    const p0 = await propose('high');
    rx.answerBody = JSON.stringify({
      approve: true,
      approver: 'bob',
      proposalId: p0.id,
      payloadHash: p0.payloadHash,
    });
    const n = notify();
    const p = await propose('high', 9);
    rx.answerBody = JSON.stringify({
      approve: true,
      approver: 'bob',
      proposalId: p.id,
      payloadHash: p.payloadHash,
    });
    await propose('high', 10);
    await n.idle();
    assert.ok(rx.received.length >= 2);
    assert.equal(g.get(p.id)!.state, 'pending');
    assert.equal(g.get(p0.id)!.state, 'pending');
    assert.deepEqual(g.get(p.id)!.votes, []);
  });

  it('never blocks a decision: a hanging receiver, a full queue, drops counted', async () => {
    rx.hang = true;
    const n = notify({ timeoutMs: 60_000 }, { queueLimit: 5 });
    const t0 = performance.now();
    // 30 different changes (the same pending change again would be the open proposal).
    for (let i = 0; i < 30; i++) await propose('high', 1 + i);
    const elapsed = performance.now() - t0;
    await rx.waitFor(1);
    const s = n.stats();
    assert.equal(s.inFlight, 1);
    assert.ok(s.queued <= 5 && s.queued >= 4, String(s.queued));
    assert.equal(s.webhooks[0]!.dropped + s.queued + s.inFlight, 30);
    assert.ok(elapsed < 2000, `30 decisions took ${elapsed} ms`);
    assert.equal(g.list({ state: 'pending' }).length, 30);
    assert.match(warnings[0]!, /queue full/);
    n.close();
    assert.match(warnings.at(-1)!, /closing with \d+ webhook notification\(s\) undelivered/);
  });

  it('rejects invalid options with a typed error naming the option', () => {
    const bad: [unknown, string][] = [
      [{ webhooks: [{ url: 'ftp://example.com/x' }] }, 'notifications.webhooks.0.url'],
      [
        { webhooks: [{ url: 'http://127.0.0.1/x', secret: 'short' }] },
        'notifications.webhooks.0.secret',
      ],
      [
        { webhooks: [{ url: 'http://127.0.0.1/x', format: 'discord' }] },
        'notifications.webhooks.0.format',
      ],
      [
        { webhooks: [{ url: 'http://127.0.0.1/x', events: ['proposal.eaten'] }] },
        'notifications.webhooks.0.events.0',
      ],
      [
        { webhooks: [{ url: 'http://127.0.0.1/x', retry: { attempts: 0 } }] },
        'notifications.webhooks.0.retry.attempts',
      ],
      [
        { webhooks: [{ url: 'http://127.0.0.1/x', tineoutMs: 5 }] },
        'notifications.webhooks.0.tineoutMs',
      ],
      [{ queueLimit: -1 }, 'notifications.queueLimit'],
    ];
    for (const [notifications, option] of bad) {
      assert.throws(
        () => parseRuntimeConfig({ notifications }),
        (e: unknown) =>
          isFoxError(e) && e.code === 'FOX_CONFIG' && e.message.includes(`'${option}'`),
        option,
      );
    }
    const ok = parseRuntimeConfig({
      notifications: { webhooks: [{ url: 'https://hooks.slack.com/services/x', format: 'slack' }] },
    });
    assert.equal(ok.notifications?.webhooks[0]!.retry.attempts, 5);
  });
});
