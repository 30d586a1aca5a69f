import type { EventView } from '@fox/profiler';

/** What the approvals view shows for one proposal. */
export interface ProposalItem {
  id: string;
  processId: string;
  taskId: string | null;
  summary: string;
  /** SHA-256 of the exact change; an approval is bound to it. */
  payloadHash?: string;
  state: ProposalState;
  /** Epoch ms of the latest event about this proposal. */
  at: number;
  /** Set once the user decided here, until the process reports the outcome. */
  localDecision?: Decision;
}

export type ProposalState = 'pending' | 'approved' | 'denied' | 'expired' | 'applied';
export type Decision = 'approve' | 'reject';

/**
 * The proposals the profiler has seen, folded from its event feed. The feed is a sliding window
 * (the live state keeps the last events only) and is re-sent on every poll, so folding must be
 * idempotent and must remember proposals whose events have scrolled out of the window.
 */
export class ProposalBook {
  private readonly items = new Map<string, ProposalItem>();

  /**
   * Folds the events in; returns the proposals that became pending with this call (the ones to
   * notify about). Older events never overwrite newer ones.
   */
  update(events: readonly EventView[]): ProposalItem[] {
    const fresh: ProposalItem[] = [];
    for (const { processId, event } of events) {
      if (event.kind !== 'proposal') continue;
      const known = this.items.get(event.proposalId);
      if (known && known.at > event.at) continue;
      if (known && known.at === event.at && known.state === event.state) continue;
      const item: ProposalItem = {
        id: event.proposalId,
        processId,
        taskId: event.taskId,
        summary: event.summary,
        state: event.state,
        at: event.at,
        ...(event.payloadHash ? { payloadHash: event.payloadHash } : {}),
      };
      // A local decision stands until the process reports anything but `pending`.
      if (known?.localDecision && event.state === 'pending')
        item.localDecision = known.localDecision;
      this.items.set(item.id, item);
      if (event.state === 'pending' && known?.state !== 'pending') fresh.push(item);
    }
    return fresh;
  }

  /** Records that the user decided; the item stays listed (greyed) until the outcome arrives. */
  markDecided(id: string, decision: Decision): ProposalItem | undefined {
    const item = this.items.get(id);
    if (!item || item.state !== 'pending') return undefined;
    item.localDecision = decision;
    return item;
  }

  get(id: string): ProposalItem | undefined {
    return this.items.get(id);
  }

  /** Awaiting a decision from this user. */
  pending(): ProposalItem[] {
    return this.all().filter((p) => p.state === 'pending' && !p.localDecision);
  }

  /** Newest first. */
  all(): ProposalItem[] {
    return [...this.items.values()].sort((a, b) => b.at - a.at);
  }

  clear(): void {
    this.items.clear();
  }
}
