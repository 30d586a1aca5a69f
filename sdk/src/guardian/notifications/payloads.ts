import type { GuardianNotification } from './events.js';
import type { WebhookFormat } from './options.js';

/**
 * The request bodies of a notification: Fox's JSON (the notification itself), a Slack incoming
 * webhook message (`text` plus Block Kit blocks) and a Microsoft Teams message carrying an
 * Adaptive Card (what Teams workflows and incoming webhooks accept). The chat formats tell
 * people where to decide (`fox approvals` or the editor): a webhook is outbound only, and no
 * reply to one is ever read as an approval.
 */
export function renderPayload(format: WebhookFormat, n: GuardianNotification): unknown {
  switch (format) {
    case 'json':
      return { source: 'fox.guardian', version: 1, ...n };
    case 'slack':
      return slackMessage(n);
    case 'teams':
      return teamsMessage(n);
  }
}

const TITLES: Record<GuardianNotification['event'], string> = {
  'proposal.created': 'New proposal',
  'proposal.decided': 'Proposal decided',
  'proposal.applied': 'Proposal applied',
  'proposal.apply-failed': 'Proposal failed to apply',
  'proposal.rolled-back': 'Proposal rolled back',
};

/** The facts shown in both chat formats, as label/value pairs (plain text). */
function facts(n: GuardianNotification): [string, string][] {
  const p = n.proposal;
  const rows: [string, string][] = [
    ['Proposal', p.id],
    ['Kind', p.kind],
    ['Task', p.taskId ?? '-'],
    ['State', p.state],
    ['Impact', p.impact],
    ['Proposed by', p.proposer],
    ['Change', truncate(JSON.stringify(p.payload) ?? 'null', 500)],
    ['Payload hash', p.payloadHash],
  ];
  if (p.reason) rows.push(['Reason', truncate(p.reason, 300)]);
  if (p.state === 'pending') {
    rows.push(['Approvals', `${p.approvals.length} of ${p.required}`]);
    rows.push(['Decide with', `fox approvals show ${p.id}`]);
  }
  if (n.detail) rows.push(['Detail', truncate(n.detail, 300)]);
  return rows;
}

function headline(n: GuardianNotification): string {
  const p = n.proposal;
  return `Fox guardian: ${TITLES[n.event]}: ${p.kind}${p.taskId ? ` on ${p.taskId}` : ''} (${p.state})`;
}

/** Slack mrkdwn treats `&`, `<` and `>` as control characters: they must be escaped. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackMessage(n: GuardianNotification): unknown {
  const text = slackEscape(headline(n));
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(TITLES[n.event], 150) } },
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'section',
        // Slack allows at most 10 fields per section.
        fields: facts(n)
          .slice(0, 10)
          .map(([k, v]) => ({ type: 'mrkdwn', text: `*${slackEscape(k)}*\n${slackEscape(v)}` })),
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: slackEscape(`notification ${n.id} · ${new Date(n.at).toISOString()}`),
          },
        ],
      },
    ],
  };
}

function teamsMessage(n: GuardianNotification): unknown {
  return {
    type: 'message',
    summary: headline(n),
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: TITLES[n.event] },
            { type: 'TextBlock', wrap: true, text: headline(n) },
            {
              type: 'FactSet',
              facts: facts(n).map(([title, value]) => ({ title, value })),
            },
            {
              type: 'TextBlock',
              isSubtle: true,
              size: 'Small',
              wrap: true,
              text: `notification ${n.id} · ${new Date(n.at).toISOString()}`,
            },
          ],
        },
      },
    ],
  };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}
