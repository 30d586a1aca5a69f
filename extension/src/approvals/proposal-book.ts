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
  /**
   * In the folded lists ({@link ProposalBook.all}, {@link ProposalBook.pending}): how many other
   * proposals of the same change stand the same way (open ones are decided with this one).
   */
  repeats?: number;
}

export type ProposalState = 'pending' | 'approved' | 'denied' | 'expired' | 'applied';
export type Decision = 'approve' | 'reject';

/**
 * The proposals the profiler has seen, folded from its event feed. The feed is a sliding window
 * (the live state keeps the last events only) and is re-sent on every poll, so folding must be
 * idempotent and must remember proposals whose events have scrolled out of the window.
 *
 * Open proposals of one process that ask for the same change (same task, same payload hash) are
 * one decision for the user: a proposer may propose again while the first waits (auto does, once
 * per evidence window), and each repeat must not become another row and another notification.
 */
export class ProposalBook {
  private readonly items = new Map<string, ProposalItem>();
  private changes = 0;

  /**
   * Grows with every change to what the book holds, so a view redraws only when it changed (a
   * tree redrawn on every poll loses the hover under the user's pointer).
   */
  get version(): number {
    return this.changes;
  }

  /**
   * Folds the events in; returns the proposals that became pending with this call and repeat no
   * open one (the ones to notify about). Older events never overwrite newer ones.
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
      // A repeat of a change already open, or just decided here, is not news.
      const repeat = event.state === 'pending' && this.sameChange(item, true).length > 0;
      this.items.set(item.id, item);
      this.changes++;
      if (event.state === 'pending' && known?.state !== 'pending' && !repeat) fresh.push(item);
    }
    return fresh;
  }

  /**
   * Records that the user decided `id` and the open proposals that repeat it; the items stay
   * listed (greyed) until the outcome arrives. Returns the item, or undefined if not pending.
   */
  markDecided(id: string, decision: Decision): ProposalItem | undefined {
    const item = this.items.get(id);
    if (!item || item.state !== 'pending') return undefined;
    for (const twin of this.decidedWith(id)) twin.localDecision = decision;
    item.localDecision = decision;
    this.changes++;
    return item;
  }

  /**
   * The proposals one decision on `id` covers: `id` itself first, then the open proposals that
   * ask for the same change. Empty when `id` is unknown.
   */
  decidedWith(id: string): ProposalItem[] {
    const item = this.items.get(id);
    if (!item) return [];
    return isOpen(item) ? [item, ...this.sameChange(item)] : [item];
  }

  get(id: string): ProposalItem | undefined {
    return this.items.get(id);
  }

  /** Awaiting a decision from this user, repeats folded into the first proposal. */
  pending(): ProposalItem[] {
    return this.all().filter(isOpen);
  }

  /**
   * Newest first. Proposals of one change that stand the same way (open, or decided alike) are
   * folded into the first of them, which carries the count of the others in `repeats`.
   */
  all(): ProposalItem[] {
    const sorted = [...this.items.values()].sort((a, b) => b.at - a.at || cmp(b.id, a.id));
    const first = new Map<string, ProposalItem>();
    const repeats = new Map<ProposalItem, number>();
    // Oldest first, so the first proposal of a change stays the visible one (stable tree ids).
    for (const p of [...sorted].reverse()) {
      const key = standingKey(p);
      if (key === undefined) continue;
      const shown = first.get(key);
      if (shown) repeats.set(shown, (repeats.get(shown) ?? 0) + 1);
      else first.set(key, p);
    }
    const list: ProposalItem[] = [];
    for (const p of sorted) {
      const key = standingKey(p);
      if (key !== undefined && first.get(key) !== p) continue;
      const n = repeats.get(p);
      list.push(n ? { ...p, repeats: n } : p);
    }
    return list;
  }

  clear(): void {
    this.items.clear();
    this.changes++;
  }

  /** Other open (or, with `decidedHere`, pending) proposals asking for the same change. */
  private sameChange(item: ProposalItem, decidedHere = false): ProposalItem[] {
    const key = changeKey(item);
    if (key === undefined) return [];
    return [...this.items.values()].filter(
      (p) =>
        p.id !== item.id &&
        (decidedHere ? p.state === 'pending' : isOpen(p)) &&
        changeKey(p) === key,
    );
  }
}

/** Waiting for this user's decision. */
function isOpen(p: ProposalItem): boolean {
  return p.state === 'pending' && !p.localDecision;
}

/** Which change a proposal asks for; without a payload hash two proposals cannot be compared. */
function changeKey(p: ProposalItem): string | undefined {
  return p.payloadHash === undefined
    ? undefined
    : JSON.stringify([p.processId, p.taskId, p.payloadHash]);
}

/** A change and how it stands for this user; proposals alike in both are shown as one. */
function standingKey(p: ProposalItem): string | undefined {
  const change = changeKey(p);
  if (change === undefined) return undefined;
  return `${change} ${isOpen(p) ? 'open' : `${p.state} ${p.localDecision ?? ''}`}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The proposal a decision from the profiler panel is about, if the page described it the way
 * the book knows it: same process, same payload hash (the page may show a stale state).
 */
export function proposalForDecision(
  book: ProposalBook,
  d: { processId: string; proposalId: string; payloadHash: string },
): { item: ProposalItem } | { reason: string } {
  const item = book.get(d.proposalId);
  if (!item || item.processId !== d.processId) return { reason: 'unknown proposal' };
  if (item.payloadHash !== d.payloadHash) {
    return { reason: 'the proposal changed since it was shown' };
  }
  if (item.state !== 'pending') return { reason: `the proposal is ${item.state}` };
  return { item };
}
