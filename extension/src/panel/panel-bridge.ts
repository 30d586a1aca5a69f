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

/**
 * Between the webview's UI and the profiler: answers `ready` and `select`, and pushes the state
 * (and the selected task's timeline) on each `push()` — which the host calls only while the
 * panel is visible, so a hidden panel costs nothing.
 */
export class PanelBridge {
  private selected: TaskSelection | undefined;

  constructor(
    private readonly post: (message: ServerToUi) => void,
    private readonly onSelect: (selection: TaskSelection) => void = () => {},
  ) {}

  /** Handles one webview message; ignores anything malformed (the page is untrusted input). */
  receive(message: unknown, source: LiveSource | undefined): void {
    if (!isUiMessage(message)) return;
    if (message.type === 'ready') {
      if (source) this.post({ type: 'state', state: source.state() });
    } else if (message.type === 'select') {
      this.selected = { processId: message.processId, taskId: message.taskId };
      if (source) this.post(source.timeline(message.processId, message.taskId));
      this.onSelect(this.selected);
    } else {
      this.selected = undefined;
    }
  }

  push(source: LiveSource): void {
    this.post({ type: 'state', state: source.state() });
    if (this.selected) this.post(source.timeline(this.selected.processId, this.selected.taskId));
  }

  get selection(): TaskSelection | undefined {
    return this.selected;
  }
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
