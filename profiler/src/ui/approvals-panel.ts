import type { ProcessView, ProposalView, ServerToUi, UiHost } from '../live/view.js';
import { h, replace } from './dom.js';

const APPROVER_KEY = 'fox.approver';
/** Decided proposals listed under the pending ones. */
const RECENT_DECIDED = 8;

/**
 * The "Pending approvals" section: each pending proposal with Approve / Reject, the name the
 * user approves as (remembered in localStorage; never the token), and what happened next —
 * relayed or refused by the profiler, then the state the process reports.
 */
export class ApprovalsPanel {
  readonly element: HTMLElement;
  private readonly list = h('ul', { class: 'fox-proposals', 'data-testid': 'proposals' });
  private readonly nameInput: HTMLInputElement;
  /** What this page did per proposal, until the process reports a decided state. */
  private readonly sent = new Map<string, { verdict: 'approve' | 'reject'; note: string }>();
  private proposals: ProposalView[] = [];
  private processes: ProcessView[] = [];

  private readonly readOnly: boolean;
  /** The host names the approver (see `FoxUiOptions.approverFromHost`). */
  private readonly fromHost: boolean;

  constructor(
    private readonly host: UiHost,
    options: { readOnly: boolean; preset: string | undefined; fromHost: boolean },
  ) {
    this.readOnly = options.readOnly;
    this.fromHost = options.fromHost;
    const preset = options.preset;
    this.nameInput = h('input', {
      type: 'text',
      class: 'fox-approver',
      'data-testid': 'approver',
      placeholder: 'your name',
      maxlength: 128,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': 'approve as',
    });
    this.nameInput.value = preset ?? remembered() ?? '';
    this.nameInput.addEventListener('input', () => {
      remember(this.approver);
      this.draw();
    });
    const who =
      this.readOnly || this.fromHost
        ? null
        : h('label', { class: 'fox-approver-label' }, 'Approving as ', this.nameInput);
    this.element = h(
      'section',
      { class: 'fox-approvals', 'data-testid': 'approvals', hidden: true },
      h('div', { class: 'fox-section-head' }, h('h2', {}, 'Approvals'), who),
      this.list,
    );
  }

  get approver(): string {
    return this.nameInput.value.trim();
  }

  update(proposals: ProposalView[], processes: ProcessView[]): void {
    this.proposals = proposals;
    this.processes = processes;
    for (const p of proposals) if (p.state !== 'pending') this.sent.delete(p.proposalId);
    this.draw();
  }

  /** The profiler's answer to a decision this page sent. */
  relayed(m: Extract<ServerToUi, { type: 'approval-relayed' }>): void {
    const mine = this.sent.get(m.proposalId);
    if (!mine) return;
    mine.note = m.ok
      ? `${mine.verdict === 'approve' ? 'approval' : 'rejection'} delivered; waiting for the process…`
      : `not delivered: ${m.reason ?? 'refused'}`;
    this.draw();
  }

  private draw(): void {
    const pending = this.proposals.filter((p) => p.state === 'pending');
    const decided = this.proposals.filter((p) => p.state !== 'pending').slice(0, RECENT_DECIDED);
    this.element.hidden = pending.length === 0 && decided.length === 0;
    replace(
      this.list,
      ...pending.map((p) => this.pendingItem(p)),
      ...decided.map((p) => this.decidedItem(p)),
    );
  }

  private pendingItem(p: ProposalView): HTMLElement {
    const proc = this.processes.find((x) => x.id === p.processId);
    const mine = this.sent.get(p.proposalId);
    const why = !p.payloadHash
      ? 'this proposal carries no payload hash: decide it with `fox approvals`'
      : !proc?.connected
        ? 'its process is not connected'
        : !this.approver && !this.fromHost
          ? 'enter your name to approve or reject'
          : undefined;
    const buttons = this.readOnly
      ? []
      : (['approve', 'reject'] as const).map((verdict) => {
          const b = h(
            'button',
            {
              type: 'button',
              class: `fox-${verdict}`,
              'data-action': verdict,
              disabled: why !== undefined || mine !== undefined,
              title: why ?? (this.fromHost ? verdict : `${verdict} as ${this.approver}`),
            },
            verdict === 'approve' ? 'Approve' : 'Reject',
          );
          b.addEventListener('click', () => this.decide(p, verdict));
          return b;
        });
    return h(
      'li',
      { class: 'fox-proposal fox-proposal-pending', 'data-proposal-id': p.proposalId },
      h(
        'span',
        { class: 'fox-badge fox-state-pending', 'data-testid': 'proposal-state' },
        'pending',
      ),
      h('span', { class: 'fox-proposal-summary' }, p.summary),
      h(
        'span',
        { class: 'fox-muted' },
        [
          p.taskId,
          proc ? `pid ${proc.pid}` : null,
          p.approvalsNeeded === undefined ? null : `needs ${p.approvalsNeeded} more`,
        ]
          .filter(Boolean)
          .join(' · '),
      ),
      h('span', { class: 'fox-actions' }, ...buttons),
      mine || (why && !this.readOnly)
        ? h('span', { class: 'fox-note', 'data-testid': 'proposal-note' }, mine?.note ?? why)
        : null,
    );
  }

  private decidedItem(p: ProposalView): HTMLElement {
    return h(
      'li',
      { class: `fox-proposal fox-proposal-${p.state}`, 'data-proposal-id': p.proposalId },
      h(
        'span',
        { class: `fox-badge fox-state-${p.state}`, 'data-testid': 'proposal-state' },
        p.state,
      ),
      h('span', { class: 'fox-proposal-summary' }, p.summary),
      h('time', { class: 'fox-muted' }, new Date(p.at).toLocaleTimeString()),
    );
  }

  private decide(p: ProposalView, verdict: 'approve' | 'reject'): void {
    // With a host-named approver the field is empty; the host replaces the name anyway.
    const approver = this.fromHost ? this.approver || 'host' : this.approver;
    if (!approver || !p.payloadHash) return;
    if (!this.fromHost) remember(approver);
    const doing = verdict === 'approve' ? 'approving' : 'rejecting';
    this.sent.set(p.proposalId, {
      verdict,
      note: this.fromHost ? `${doing}…` : `${doing} as ${approver}…`,
    });
    this.host.post({
      type: 'approval',
      v: 1,
      processId: p.processId,
      token: this.host.token ?? '',
      decision: { proposalId: p.proposalId, payloadHash: p.payloadHash, approver, verdict },
    });
    this.draw();
  }
}

/** localStorage may be missing or refuse (a sandboxed webview, privacy settings): best effort. */
function remembered(): string | undefined {
  try {
    return globalThis.localStorage?.getItem(APPROVER_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function remember(name: string): void {
  try {
    if (name) globalThis.localStorage?.setItem(APPROVER_KEY, name);
  } catch {
    // not remembered; the field still works
  }
}
