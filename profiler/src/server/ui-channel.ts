import {
  APPROVAL_WIRE_VERSION,
  ApprovalDecisionSchema,
  UiApprovalMessageSchema,
  UiChaosKillMessageSchema,
  type ApprovalDecision,
} from '@fox/sdk';
import type { RawData, WebSocket } from 'ws';
import { tokenMatches } from '../collector/token.js';
import type { ServerToUi } from '../live/view.js';

/** Largest message a UI client may send; anything bigger is refused unread. */
export const MAX_UI_MESSAGE_BYTES = 64 << 10;

/** What UI clients sent on `/ui`, cumulative over all of them. */
export interface UiChannelCounters {
  received: number;
  refused: { tooLarge: number; notJson: number; invalid: number; badToken: number };
  approvalsRelayed: number;
  chaosKillsRelayed: number;
}

export function emptyUiChannelCounters(): UiChannelCounters {
  return {
    received: 0,
    refused: { tooLarge: 0, notJson: 0, invalid: 0, badToken: 0 },
    approvalsRelayed: 0,
    chaosKillsRelayed: 0,
  };
}

/** Result of relaying a control frame to exporter connections. */
export interface RelayResult {
  ok: boolean;
  reason?: string;
}

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

  decide(processId: string, input: ApprovalDecision): RelayResult {
    const d = ApprovalDecisionSchema.safeParse(input);
    if (!d.success) return { ok: false, reason: 'invalid' };
    const target = this.exporters.get(processId);
    if (!target || target.readyState !== target.OPEN) {
      return { ok: false, reason: 'process not connected' };
    }
    target.send(JSON.stringify({ type: 'approval', v: APPROVAL_WIRE_VERSION, decision: d.data }));
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
      reason: reason.slice(0, 256),
    });
    for (const ws of open) ws.send(frame);
    this.counters.chaosKillsRelayed += open.length;
    return { ok: true, processes: open.length };
  }
}

/** The part of a UI connection the channel needs. */
export interface UiSession {
  /** The profiler token, to check the one approval and chaos-kill messages carry. */
  token: string;
  relay: ControlRelay;
  counters: UiChannelCounters;
  reply(message: ServerToUi): void;
  ready(): void;
  select(processId: string, taskId: string): void;
  unselect(): void;
}

/**
 * Handles one message from a UI client. The client is only as trusted as its connection token,
 * so everything is checked and nothing it sends can throw out of here: a bad message is counted
 * and, for the two that act on processes, answered with the reason it was refused.
 */
export function handleUiMessage(data: RawData | string, session: UiSession): void {
  const { counters } = session;
  counters.received++;
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
      return session.ready();
    case 'select':
      if (typeof m['processId'] === 'string' && typeof m['taskId'] === 'string') {
        return session.select(m['processId'], m['taskId']);
      }
      break;
    case 'unselect':
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
 * reaches `/ui` through some other path cannot approve; the process's guardian checks the rest.
 */
function approval(m: Record<string, unknown>, session: UiSession): ServerToUi {
  const raw = (m['decision'] as { proposalId?: unknown } | null | undefined)?.proposalId;
  const proposalId = typeof raw === 'string' ? raw.slice(0, 512) : '';
  const refuse = (reason: string): ServerToUi => ({
    type: 'approval-relayed',
    proposalId,
    ok: false,
    reason,
  });
  if (!checkToken(m, session)) return refuse('bad token');
  const r = UiApprovalMessageSchema.safeParse(m);
  if (!r.success) {
    session.counters.refused.invalid++;
    return refuse('invalid');
  }
  return {
    type: 'approval-relayed',
    proposalId,
    ...session.relay.decide(r.data.processId, r.data.decision),
  };
}

function chaosKill(m: Record<string, unknown>, session: UiSession): ServerToUi {
  if (!checkToken(m, session)) {
    return { type: 'chaos-kill-relayed', ok: false, processes: 0, reason: 'bad token' };
  }
  const r = UiChaosKillMessageSchema.safeParse(m);
  if (!r.success) {
    session.counters.refused.invalid++;
    return { type: 'chaos-kill-relayed', ok: false, processes: 0, reason: 'invalid' };
  }
  return {
    type: 'chaos-kill-relayed',
    ...session.relay.killChaos(r.data.processId, r.data.reason ?? 'kill switch in the fox UI'),
  };
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
