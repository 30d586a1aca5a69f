import { createFoxUi } from '@fox/profiler/ui';
import type { ServerToUi, UiToServer } from '@fox/profiler/ui';
import '@fox/profiler/ui/fox-ui.css';

/**
 * The profiler panel's page: the profiler's own UI over VS Code's message channel. The selected
 * task is kept with `setState` so the serializer restores it when VS Code reloads the panel.
 */

interface PanelState {
  selected?: { processId: string; taskId: string };
}

interface VsCodeApi {
  postMessage(message: UiToServer): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const saved = vscode.getState() ?? {};
let pendingRestore = saved.selected;
const root = document.getElementById('fox-root') ?? document.body;
const listeners: ((m: ServerToUi) => void)[] = [];

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  // Only the extension posts here (VS Code's channel); the UI ignores types it does not know.
  const m = e.data as ServerToUi | undefined;
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string') return;
  for (const l of listeners) l(m);
  if (m.type === 'state' && pendingRestore) restoreSelection();
});

// Approvals from this page go out as the editor user (`fox.approvals.approver`): the extension
// names the approver, so the page asks for no name.
createFoxUi(
  root,
  {
    post(message) {
      if (message.type === 'select') {
        pendingRestore = undefined;
        vscode.setState({ selected: { processId: message.processId, taskId: message.taskId } });
      } else if (message.type === 'unselect') {
        vscode.setState({});
      }
      vscode.postMessage(message);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
  },
  { approverFromHost: true },
);

/** The UI keeps its selection internally; re-selecting is a click on the task's row. */
function restoreSelection(): void {
  const want = pendingRestore;
  if (!want) return;
  for (const row of root.querySelectorAll<HTMLElement>('tr[data-task-id]')) {
    if (row.dataset['taskId'] === want.taskId) {
      pendingRestore = undefined;
      row.click();
      return;
    }
  }
}
