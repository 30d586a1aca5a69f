import { ulid } from 'ulid';
import { Emitter, type Disposable, type FoxEvent } from '../../events/emitter.js';
import type { ConcreteMode } from '../../protocol/modes.js';
import { processSlot } from '../../state/process-state.js';

/** What auto saw that made it want a switch. */
export interface AutoEvidence {
  /** `static`: the analyser's recommendation; `runtime`: measured calls. */
  source: 'static' | 'runtime';
  /** Median time a call held the event loop from entry to its first await, ms. */
  syncMs?: number;
  /** Median time a call held the event loop over its whole life (every segment), ms. */
  busyMs?: number;
  /** Median longest single synchronous segment of a call, ms. */
  longestMs?: number;
  /** Median wall time of a call, ms. */
  wallMs?: number;
  /** Share of the wall time spent waiting (I/O), 0..1. */
  ioShare?: number;
  /** Share of its own time a call would spend waiting on a worker (lower bound), 0..1. */
  workerWaitShare?: number;
  /** Most calls of the task in flight at once in the window (fan-out). */
  fanOut?: number;
  /** Share of the window's time the event loop spent running the task's calls, 0..1. */
  loopShare?: number;
  /** Event-loop utilization over the window (all work on the loop), 0..1. */
  loopBusy?: number;
  /** Calls in the window the decision is based on. */
  calls?: number;
  /**
   * A switch back after a trial: the mode tried and the task's busy time per call in each (a
   * call's latency when calls come one at a time; a burst's time over its calls otherwise).
   */
  trial?: { mode: ConcreteMode; msPerCall: number; fromMsPerCall: number };
}

/** A runtime change the system itself wants; the guardian decides (see ARCHITECTURE.md). */
export interface StrategyChangeProposal {
  id: string;
  kind: 'strategy-change';
  taskId: string;
  from: ConcreteMode;
  to: ConcreteMode;
  at: number;
  reason: string;
  evidence: AutoEvidence;
}

export type Proposal = StrategyChangeProposal;
export type ProposalDecision = 'applied' | 'denied' | 'pending';

/**
 * Decides a proposal. `apply` performs the change; a handler that approves calls it (now, or
 * later for 'pending'). The guardian installs its own handler; until then the default applies.
 */
export type ProposalHandler = (
  proposal: Proposal,
  apply: () => Promise<void>,
) => ProposalDecision | Promise<ProposalDecision>;

export interface ProposalRecord {
  proposal: Proposal;
  decision: ProposalDecision;
}

/** The default: apply the change at once (it is recorded by {@link propose}). */
export const applyProposal: ProposalHandler = async (_proposal, apply) => {
  await apply();
  return 'applied' as const;
};

const MAX_HISTORY = 1_000;

/**
 * One handler, history and event for the process: the guardian that one copy of the sdk
 * starts must see the proposals of tasks created through another (see process-state.ts).
 */
const state = processSlot('auto.proposals.v1', () => ({
  /** Undefined: {@link applyProposal}. */
  handler: undefined as ProposalHandler | undefined,
  history: [] as ProposalRecord[],
  emitter: new Emitter<ProposalRecord>(),
}));

/** Fires for every proposal once decided. */
export const onProposal: FoxEvent<ProposalRecord> = state.emitter.event;

/** Routes proposals to `h` (the guardian) until the returned disposable is disposed. */
export function setProposalHandler(h: ProposalHandler): Disposable {
  state.handler = h;
  return {
    dispose: () => {
      if (state.handler === h) state.handler = undefined;
    },
  };
}

/** Recent proposals and their decisions, oldest first (bounded). */
export function proposalHistory(): readonly ProposalRecord[] {
  return state.history;
}

export function newProposalId(): string {
  return ulid();
}

/** Hands a proposal to the handler, records the decision and fires `onProposal`. */
export async function propose(
  proposal: Proposal,
  apply: () => Promise<void>,
): Promise<ProposalDecision> {
  let decision: ProposalDecision;
  try {
    decision = await (state.handler ?? applyProposal)(proposal, apply);
  } catch {
    decision = 'denied';
  }
  const record = { proposal, decision };
  const history = state.history;
  history.push(record);
  if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
  state.emitter.fire(record);
  return decision;
}
