import type { WireEvent } from '@fox/sdk/protocol';
import type { ChaosRunView, EventView, ProposalView } from './view.js';

/**
 * Folds events into the latest picture of each proposal and chaos experiment. Pure and
 * idempotent (the UI re-folds the same sliding window every push; the report folds a stored
 * run), and an older event never overwrites a newer one.
 */

type ProposalEvent = Extract<WireEvent, { kind: 'proposal' }>;
type ChaosEvent = Extract<WireEvent, { kind: 'chaos' }>;

export function foldProposal(
  into: Map<string, ProposalView>,
  processId: string,
  e: ProposalEvent,
): void {
  const known = into.get(e.proposalId);
  if (known && (known.at > e.at || (known.at === e.at && e.state === 'pending'))) {
    // An older event (or a 'pending' at the instant of a decision: approved and applied can
    // share a millisecond) never overwrites the state, but may tell when it all began.
    known.createdAt = Math.min(known.createdAt, e.at);
    if (known.payloadHash === undefined && e.payloadHash !== undefined) {
      known.payloadHash = e.payloadHash;
    }
    return;
  }
  const view: ProposalView = {
    processId,
    proposalId: e.proposalId,
    taskId: e.taskId,
    summary: e.summary,
    state: e.state,
    createdAt: known ? Math.min(known.createdAt, e.at) : e.at,
    at: e.at,
  };
  const hash = e.payloadHash ?? known?.payloadHash;
  if (hash !== undefined) view.payloadHash = hash;
  if (e.state === 'pending' && e.approvalsNeeded !== undefined)
    view.approvalsNeeded = e.approvalsNeeded;
  const approvers = e.approvers ?? known?.approvers;
  if (approvers !== undefined) view.approvers = approvers;
  const auditId = e.auditId ?? known?.auditId;
  if (auditId !== undefined) view.auditId = auditId;
  into.set(e.proposalId, view);
}

export function foldChaos(into: Map<string, ChaosRunView>, processId: string, e: ChaosEvent): void {
  const known = into.get(e.experimentId);
  if (e.action === 'start') {
    // A stop that arrived first (reordered frames) stays a stop.
    if (known) return;
    into.set(e.experimentId, {
      processId,
      experimentId: e.experimentId,
      taskIds: e.taskIds,
      state: 'running',
      startedAt: e.at,
      endedAt: null,
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    });
    return;
  }
  const state = e.action === 'abort' ? 'aborted' : 'stopped';
  // An abort is followed by its stop: keep the abort (the more telling of the two).
  if (known && known.state === 'aborted') return;
  into.set(e.experimentId, {
    processId,
    experimentId: e.experimentId,
    taskIds: known?.taskIds.length ? known.taskIds : e.taskIds,
    state,
    startedAt: known?.startedAt ?? e.at,
    endedAt: e.at,
    ...(e.detail === undefined
      ? known?.detail === undefined
        ? {}
        : { detail: known.detail }
      : { detail: e.detail }),
  });
}

/** Proposals and chaos runs of an event list, newest first. */
export function foldFeed(events: readonly EventView[]): {
  proposals: ProposalView[];
  chaosRuns: ChaosRunView[];
} {
  const proposals = new Map<string, ProposalView>();
  const runs = new Map<string, ChaosRunView>();
  for (const { processId, event } of events) {
    if (event.kind === 'proposal') foldProposal(proposals, processId, event);
    else if (event.kind === 'chaos') foldChaos(runs, processId, event);
  }
  return {
    proposals: [...proposals.values()].sort((a, b) => b.createdAt - a.createdAt),
    chaosRuns: [...runs.values()].sort((a, b) => b.startedAt - a.startedAt),
  };
}

/** Keeps at most `max` entries, dropping the oldest settled ones first. */
export function trimMap<V extends { at?: number; startedAt?: number }>(
  map: Map<string, V>,
  max: number,
  settled: (v: V) => boolean,
): void {
  if (map.size <= max) return;
  const order = [...map.entries()].sort(
    ([, a], [, b]) =>
      Number(settled(b)) - Number(settled(a)) ||
      (a.at ?? a.startedAt ?? 0) - (b.at ?? b.startedAt ?? 0),
  );
  for (const [key] of order) {
    if (map.size <= max) break;
    map.delete(key);
  }
}
