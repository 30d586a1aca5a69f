import {
  APPROVAL_WIRE_VERSION,
  ApprovalDecisionSchema,
  parseProfilerControlFrame,
  UiApprovalMessageSchema,
  UiChaosKillMessageSchema,
  WireProcessSchema,
  type ApprovalDecision,
} from '@fox/sdk/protocol';
import type { RawData, WebSocket } from 'ws';
import { tokenMatches } from '../collector/token.js';
import type { ServerToUi } from '../live/view.js';

/** Largest message a UI client may send; anything bigger is refused unread. */
export const MAX_UI_MESSAGE_BYTES = 64 << 10;

/**
 * Unsent bytes toward a process above which no control frame is added: it is not reading, and
 * the profiler must not queue control frames for it without bound.
 */
export const MAX_CONTROL_BACKLOG_BYTES = 1 << 20;

/** A process or task id as the wire schemas bound it. */
const IdSchema = WireProcessSchema.shape.id;

/** Longest proposal id echoed back in a reply. */
const MAX_ECHOED_ID = 512;

/** Longest chaos-kill reason, as the frame schema bounds it. */
const MAX_KILL_REASON = 256;

/** What UI clients sent on `/ui`, cumulative over all of them. */
export interface UiChannelCounters {
  received: number;
  /** Messages acted on: `ready`, `select`, `unselect`, and approvals and kills relayed. */
  accepted: number;
  /** Messages refused, by reason; `received` = `accepted` + the sum of these. */
  refused: {
    tooLarge: number;
    notJson: number;
    /** Binary frames: the channel is JSON text only. */
    binary: number;
    /** Not an object, an unknown type, or fields that fail the schema. */
    invalid: number;
    badToken: number;
    /** Valid, but the process named is not connected (or none is, for a kill of all). */
    notConnected: number;
    /** An approval for a proposal this profiler does not know as pending in that process. */
    unknownProposal: number;
    /** Over the connection's budget of approvals and kills (see {@link ControlBudget}). */
    rateLimited: number;
    /**
     * Could not go out: the frame would exceed what the exporter accepts, or the process is
     * not reading its connection.
     */
    undeliverable: number;
  };
  /** Approval frames sent to processes. */
  approvalsRelayed: number;
  /** Chaos-kill frames sent to processes (a kill of all counts once per process). */
  chaosKillsRelayed: number;
}

export function emptyUiChannelCounters(): UiChannelCounters {
  return {
    received: 0,
    accepted: 0,
    refused: {
      tooLarge: 0,
      notJson: 0,
      binary: 0,
      invalid: 0,
      badToken: 0,
      notConnected: 0,
      unknownProposal: 0,
      rateLimited: 0,
      undeliverable: 0,
    },
    approvalsRelayed: 0,
    chaosKillsRelayed: 0,
  };
}

/** Result of relaying a control frame to exporter connections. */
export interface RelayResult {
  ok: boolean;
  reason?: string;
}

/** Why a relay did not happen, as the counters name it. */
type RelayRefusal = 'invalid' | 'notConnected' | 'undeliverable';

const REFUSAL_OF_REASON: Record<string, RelayRefusal> = {
  invalid: 'invalid',
  'process not connected': 'notConnected',
  'no process connected': 'notConnected',
  'not deliverable': 'undeliverable',
  'process not reading': 'undeliverable',
};

/**
 * Sends control frames (approval decisions, the chaos kill switch) to the exporter connections
 * by process id. Shared by the `/ui` channel and the in-process API (`profiler.decide`,
 * `profiler.killChaos`) the editor uses.
 */
export class ControlRelay {
  constructor(
    private readonly exporters: ReadonlyMap<string, WebSocket>,
    private readonly counters: UiChannelCounters,
  ) {}

  /** Whether `processId` has an open exporter connection. */
  connected(processId: string): boolean {
    const target = this.exporters.get(processId);
    return target !== undefined && target.readyState === target.OPEN;
  }

  decide(processId: string, input: ApprovalDecision): RelayResult {
    const d = ApprovalDecisionSchema.safeParse(input);
    if (!d.success) return { ok: false, reason: 'invalid' };
    const target = this.exporters.get(processId);
    if (!target || target.readyState !== target.OPEN) {
      return { ok: false, reason: 'process not connected' };
    }
    const frame = JSON.stringify({ type: 'approval', v: APPROVAL_WIRE_VERSION, decision: d.data });
    const unfit = undeliverable(frame, target);
    if (unfit) return { ok: false, reason: unfit };
    target.send(frame);
    this.counters.approvalsRelayed++;
    return { ok: true };
  }

  /**
   * Stops all chaos injection in one process, or (no `processId`) in every connected process.
   * `processes` says how many connections the frame went to.
   */
  killChaos(processId?: string, reason = 'kill switch'): RelayResult & { processes: number } {
    const targets =
      processId === undefined
        ? [...this.exporters.values()]
        : [this.exporters.get(processId)].filter((w) => w !== undefined);
    const open = targets.filter((w) => w.readyState === w.OPEN);
    if (open.length === 0) {
      return {
        ok: false,
        processes: 0,
        reason: processId === undefined ? 'no process connected' : 'process not connected',
      };
    }
    const frame = JSON.stringify({
      type: 'chaos-kill',
      v: APPROVAL_WIRE_VERSION,
      reason: clip(reason, MAX_KILL_REASON),
    });
    const reachable = open.filter((w) => undeliverable(frame, w) === undefined);
    if (reachable.length === 0) {
      return { ok: false, processes: 0, reason: undeliverable(frame, open[0]!) };
    }
    for (const ws of reachable) ws.send(frame);
    this.counters.chaosKillsRelayed += reachable.length;
    return { ok: true, processes: reachable.length };
  }
}

/**
 * Why `frame` cannot go to `target`, or undefined when it can. The exporter drops unread a
 * control frame its parser refuses, such as one longer than `MAX_APPROVAL_FRAME_BYTES` (4096)
 * characters: a decision within the schema's bounds can exceed that once JSON escapes its
 * strings (a quote becomes two characters, a control character six), and relaying it would
 * report success for nothing. So the frame goes only if the exporter's own parser takes it.
 */
function undeliverable(frame: string, target: WebSocket): string | undefined {
  if (parseProfilerControlFrame(frame) === undefined) return 'not deliverable';
  if (target.bufferedAmount > MAX_CONTROL_BACKLOG_BYTES) return 'process not reading';
  return undefined;
}

/** At most `max` code points of `s` (how the wire schemas count), never half of a pair. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : Array.from(s).slice(0, max).join('');
}

/**
 * A token bucket per UI connection for the messages that act on processes (approvals, chaos
 * kills): `burst` at once, then `perSecond`. A person clicking never comes close; a runaway page
 * or script cannot turn the profiler into a flood of control frames into the user's programs.
 */
export class ControlBudget {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly perSecond = 10,
    private readonly burst = 20,
  ) {
    this.tokens = burst;
  }

  /** Takes one token; false when none is left. */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/**
 * Wraps `fn` so that however often the wrapper is called within one turn of the event loop,
 * `fn` runs once, on the next turn: a flood of `ready` messages costs one state snapshot.
 * Errors go to `onError` (this runs outside any caller that could catch them).
 */
export function coalesce(fn: () => void, onError: (err: unknown) => void): () => void {
  let due = false;
  return () => {
    if (due) return;
    due = true;
    setImmediate(() => {
      due = false;
      try {
        fn();
      } catch (err) {
        onError(err);
      }
    });
  };
}

/** The part of a UI connection the channel needs. */
export interface UiSession {
  /** The profiler token, to check the one approval and chaos-kill messages carry. */
  token: string;
  relay: ControlRelay;
  counters: UiChannelCounters;
  /** This connection's budget of approvals and kills. */
  budget: ControlBudget;
  /**
   * Whether the profiler knows `proposalId` as pending in `processId` (from the process's own
   * events, as the UI was shown it). Approvals for anything else are not relayed.
   */
  isPendingProposal(processId: string, proposalId: string): boolean;
  reply(message: ServerToUi): void;
  ready(): void;
  select(processId: string, taskId: string): void;
  unselect(): void;
}

/**
 * Handles one message from a UI client. The client is only as trusted as its connection token,
 * so everything is checked and nothing it sends can throw out of here: each message is counted
 * once, as accepted or under the reason it was refused, and the two that act on processes are
 * answered with that reason.
 */
export function handleUiMessage(
  data: RawData | string,
  session: UiSession,
  isBinary = false,
): void {
  const { counters } = session;
  counters.received++;
  if (isBinary) {
    counters.refused.binary++;
    return;
  }
  const text = textOf(data);
  if (text === undefined) {
    counters.refused.tooLarge++;
    return;
  }
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    counters.refused.notJson++;
    return;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    counters.refused.invalid++;
    return;
  }
  const m = msg as Record<string, unknown>;
  switch (m['type']) {
    case 'ready':
      counters.accepted++;
      return session.ready();
    case 'select':
      if (isId(m['processId']) && isId(m['taskId'])) {
        counters.accepted++;
        return session.select(m['processId'], m['taskId']);
      }
      break;
    case 'unselect':
      counters.accepted++;
      return session.unselect();
    case 'approval':
      return session.reply(approval(m, session));
    case 'chaos-kill':
      return session.reply(chaosKill(m, session));
  }
  counters.refused.invalid++;
}

/**
 * A decision must carry the profiler token (on top of the connection's), so a page that merely
 * reaches `/ui` through some other path cannot approve; it must name a proposal the profiler
 * showed as pending in that process; the process's guardian checks the rest.
 */
function approval(m: Record<string, unknown>, session: UiSession): ServerToUi {
  const { counters } = session;
  const raw = (m['decision'] as { proposalId?: unknown } | null | undefined)?.proposalId;
  const proposalId = typeof raw === 'string' ? clip(raw, MAX_ECHOED_ID) : '';
  const refuse = (reason: string): ServerToUi => ({
    type: 'approval-relayed',
    proposalId,
    ok: false,
    reason,
  });
  if (!checkToken(m, session)) return refuse('bad token');
  const r = UiApprovalMessageSchema.safeParse(m);
  if (!r.success) {
    counters.refused.invalid++;
    return refuse('invalid');
  }
  if (!session.budget.take()) {
    counters.refused.rateLimited++;
    return refuse('rate limited');
  }
  const { processId, decision } = r.data;
  if (!session.relay.connected(processId)) {
    counters.refused.notConnected++;
    return refuse('process not connected');
  }
  if (!session.isPendingProposal(processId, decision.proposalId)) {
    counters.refused.unknownProposal++;
    return refuse('unknown proposal');
  }
  const result = session.relay.decide(processId, decision);
  count(result, session);
  return { type: 'approval-relayed', proposalId, ...result };
}

function chaosKill(m: Record<string, unknown>, session: UiSession): ServerToUi {
  const { counters } = session;
  const refuse = (reason: string): ServerToUi => ({
    type: 'chaos-kill-relayed',
    ok: false,
    processes: 0,
    reason,
  });
  if (!checkToken(m, session)) return refuse('bad token');
  const r = UiChaosKillMessageSchema.safeParse(m);
  if (!r.success) {
    counters.refused.invalid++;
    return refuse('invalid');
  }
  if (!session.budget.take()) {
    counters.refused.rateLimited++;
    return refuse('rate limited');
  }
  const result = session.relay.killChaos(
    r.data.processId,
    r.data.reason ?? 'kill switch in the fox UI',
  );
  count(result, session);
  return { type: 'chaos-kill-relayed', ...result };
}

/** Counts a relay's outcome as accepted or under the reason it was refused. */
function count(result: RelayResult, session: UiSession): void {
  if (result.ok) session.counters.accepted++;
  else session.counters.refused[REFUSAL_OF_REASON[result.reason ?? ''] ?? 'invalid']++;
}

function isId(value: unknown): value is string {
  return IdSchema.safeParse(value).success;
}

/** The message as text, or undefined when it is over {@link MAX_UI_MESSAGE_BYTES}. */
function textOf(data: RawData | string): string | undefined {
  if (typeof data === 'string') {
    return Buffer.byteLength(data) > MAX_UI_MESSAGE_BYTES ? undefined : data;
  }
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(data);
  return bytes.length > MAX_UI_MESSAGE_BYTES ? undefined : bytes.toString('utf8');
}

function checkToken(m: Record<string, unknown>, session: UiSession): boolean {
  const token = m['token'];
  if (typeof token === 'string' && tokenMatches(token, session.token)) return true;
  session.counters.refused.badToken++;
  return false;
}
