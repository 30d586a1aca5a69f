import type { ServerToUi, UiHost, UiToServer } from '../live/view.js';
import { createFoxUi } from './app.js';
import './fox-ui.css';

/**
 * Entry of the UI bundle for the plain browser page and the static HTML report. A report
 * carries its data in `<script type="application/json" id="fox-report-data">`; the live page
 * connects back to the profiler over WebSocket with the token from its own URL.
 */

function reportHost(messages: ServerToUi[]): UiHost {
  const listeners: ((m: ServerToUi) => void)[] = [];
  return {
    // A report answers a selection from the timelines it carries.
    post(m) {
      if (m.type !== 'select') return;
      const found = messages.find(
        (x) => x.type === 'spans' && x.processId === m.processId && x.taskId === m.taskId,
      );
      if (found) queueMicrotask(() => listeners.forEach((l) => l(found)));
    },
    onMessage(listener) {
      listeners.push(listener);
      queueMicrotask(() => messages.filter((m) => m.type === 'state').forEach(listener));
    },
  };
}

function socketHost(): UiHost & { status(cb: (s: string) => void): void } {
  // The page's own URL carries the token (the page itself was served only with it). It stays in
  // this closure: sent only to the profiler that served the page, never stored.
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ui?token=${encodeURIComponent(token)}`;
  const listeners: ((m: ServerToUi) => void)[] = [];
  const outbox: UiToServer[] = [];
  let ws: WebSocket | undefined;
  let delay = 500;
  let onStatus: (s: string) => void = () => {};
  let last: UiToServer | undefined;
  const connect = (): void => {
    const socket = new WebSocket(url);
    ws = socket;
    socket.addEventListener('open', () => {
      delay = 500;
      socket.send(JSON.stringify({ type: 'ready' } satisfies UiToServer));
      // Re-select after a reconnect so the timeline resumes.
      if (last) socket.send(JSON.stringify(last));
      for (const m of outbox.splice(0)) socket.send(JSON.stringify(m));
    });
    socket.addEventListener('message', (e) => {
      let msg: ServerToUi;
      try {
        msg = JSON.parse(String(e.data)) as ServerToUi;
      } catch {
        return;
      }
      for (const l of listeners) l(msg);
    });
    socket.addEventListener('close', () => {
      onStatus('disconnected from the profiler; retrying…');
      setTimeout(connect, delay);
      delay = Math.min(10_000, delay * 2);
    });
  };
  connect();
  return {
    token,
    post(m) {
      if (m.type === 'select' || m.type === 'unselect') last = m;
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
      else if (m.type !== 'ready') outbox.push(m);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    status(cb) {
      onStatus = cb;
    },
  };
}

const root = document.getElementById('fox-root') ?? document.body;
const data = document.getElementById('fox-report-data');
if (data?.textContent) {
  createFoxUi(root, reportHost(JSON.parse(data.textContent) as ServerToUi[]), { readOnly: true });
} else {
  const host = socketHost();
  // `fox profile --approver NAME` presets the approver through the page.
  const approver = document.querySelector('meta[name="fox-approver"]')?.getAttribute('content');
  createFoxUi(root, host, approver ? { approver } : {});
  host.status((s) => {
    const el = root.querySelector('[data-testid="status"]');
    if (el) el.textContent = s;
  });
}
