import type { ServerToUi, UiState, UiToServer } from '@fox/profiler';

/** What the panel reads from a running profiler. */
export interface LiveSource {
  state(): UiState;
  timeline(processId: string, taskId: string): ServerToUi;
}

/** A message from the webview: the UI's own, plus the page's state for the serializer. */
export type WebviewToHost = UiToServer;

export interface TaskSelection {
  processId: string;
  taskId: string;
}

/** A decision the user made with the panel's buttons, as far as the page can say it. */
export interface PanelDecision {
  processId: string;
  proposalId: string;
  /** The payload hash the page showed; the host checks it against the proposal it knows. */
  payloadHash: string;
  verdict: 'approve' | 'reject';
}

/** The panel's chaos stop button: one process, or every connected one. */
export interface PanelChaosKill {
  processId?: string;
  reason: string;
}

export interface RelayResult {
  ok: boolean;
  reason?: string;
}

/**
 * What the host does with the page's commands. The page is untrusted input: it names what it
 * wants; who approves (the editor user's identity) and how it reaches the process (the
 * extension's profiler, no token from the page) are the host's.
 */
export interface PanelActions {
  decide?(decision: PanelDecision): Promise<RelayResult>;
  chaosKill?(request: PanelChaosKill): Promise<RelayResult & { processes: number }>;
}

/**
 * Between the webview's UI and the profiler: answers `ready` and `select`, and pushes the state
 * (and the selected task's timeline) on each `push()` — which the host calls only while the
 * panel is visible, so a hidden panel costs nothing.
 */
export class PanelBridge {
  private selected: TaskSelection | undefined;
  /** The page said `ready`: messages posted now reach it. */
  private ready = false;
  private pendingReveal: string | undefined;

  constructor(
    private readonly post: (message: ServerToUi) => void,
    private readonly onSelect: (selection: TaskSelection) => void = () => {},
    private readonly actions: PanelActions = {},
  ) {}

  /**
   * Handles one webview message; ignores anything malformed (the page is untrusted input).
   * Resolves once a command's outcome has been posted back to the page.
   */
  async receive(message: unknown, source: LiveSource | undefined): Promise<void> {
    const decision = asDecision(message);
    if (decision) return this.relayDecision(decision);
    const kill = asChaosKill(message);
    if (kill) return this.relayChaosKill(kill);
    if (!isUiMessage(message)) return;
    if (message.type === 'ready') {
      this.ready = true;
      if (source) this.post({ type: 'state', state: source.state() });
      if (this.pendingReveal !== undefined) this.reveal(this.pendingReveal);
    } else if (message.type === 'select') {
      this.selected = { processId: message.processId, taskId: message.taskId };
      if (source) this.post(source.timeline(message.processId, message.taskId));
      this.onSelect(this.selected);
    } else {
      this.selected = undefined;
    }
  }

  /**
   * Selects a task in the page (the hover's "Open in the profiler"); kept until the page is
   * ready when it is still loading.
   */
  reveal(taskId: string): void {
    if (!this.ready) {
      this.pendingReveal = taskId;
      return;
    }
    this.pendingReveal = undefined;
    this.post({ type: 'reveal', taskId });
  }

  push(source: LiveSource): void {
    this.post({ type: 'state', state: source.state() });
    if (this.selected) this.post(source.timeline(this.selected.processId, this.selected.taskId));
  }

  get selection(): TaskSelection | undefined {
    return this.selected;
  }

  private async relayDecision(d: PanelDecision): Promise<void> {
    const result = await settle(this.actions.decide?.(d), 'approvals are not handled here');
    this.post({ type: 'approval-relayed', proposalId: d.proposalId, ...result });
  }

  private async relayChaosKill(k: PanelChaosKill): Promise<void> {
    let result: RelayResult & { processes: number };
    try {
      result = this.actions.chaosKill
        ? await this.actions.chaosKill(k)
        : { ok: false, processes: 0, reason: 'chaos stop is not handled here' };
    } catch (err) {
      result = {
        ok: false,
        processes: 0,
        reason: err instanceof Error ? err.message : String(err),
      };
    }
    this.post({
      type: 'chaos-kill-relayed',
      ok: result.ok,
      processes: result.processes,
      ...(result.ok ? {} : { reason: result.reason ?? 'not delivered' }),
    });
  }
}

async function settle(
  pending: Promise<RelayResult> | undefined,
  missing: string,
): Promise<RelayResult> {
  if (!pending) return { ok: false, reason: missing };
  try {
    const r = await pending;
    return r.ok ? { ok: true } : { ok: false, reason: r.reason ?? 'not delivered' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * The UI's `approval` message (`UiApprovalMessage`): the process, the proposal, the hash and
 * the verdict are used; its token and approver are not (see {@link PanelActions}).
 */
function asDecision(m: unknown): PanelDecision | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { type, processId, decision } = m as Record<string, unknown>;
  if (type !== 'approval' || !str(processId, 512)) return undefined;
  if (typeof decision !== 'object' || decision === null) return undefined;
  const { proposalId, payloadHash, verdict } = decision as Record<string, unknown>;
  if (!str(proposalId, 512)) return undefined;
  if (typeof payloadHash !== 'string' || !/^[0-9a-f]{64}$/.test(payloadHash)) return undefined;
  if (verdict !== 'approve' && verdict !== 'reject') return undefined;
  return { processId, proposalId, payloadHash, verdict };
}

/** The UI's `chaos-kill` message (`UiChaosKillMessage`); its token is not used. */
function asChaosKill(m: unknown): PanelChaosKill | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { type, processId, reason } = m as Record<string, unknown>;
  if (type !== 'chaos-kill') return undefined;
  if (processId !== undefined && !str(processId, 512)) return undefined;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 256)) return undefined;
  return {
    ...(processId === undefined ? {} : { processId }),
    reason: reason || 'stopped from the Fox panel in VS Code',
  };
}

function isUiMessage(m: unknown): m is UiToServer {
  if (typeof m !== 'object' || m === null) return false;
  const { type, processId, taskId } = m as Record<string, unknown>;
  if (type === 'ready' || type === 'unselect') return true;
  return type === 'select' && typeof processId === 'string' && typeof taskId === 'string';
}

/** Processes that are connected in `state` and were not in `seen`; updates `seen`. */
export function newlyConnected(seen: Set<string>, state: UiState): string[] {
  const fresh: string[] = [];
  for (const p of state.processes) {
    if (p.connected && !seen.has(p.id)) fresh.push(p.id);
    if (p.connected) seen.add(p.id);
    else seen.delete(p.id);
  }
  return fresh;
}
