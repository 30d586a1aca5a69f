import { foldFeed } from '../live/feed-fold.js';
import type {
  ProcessView,
  ServerToUi,
  TaskView,
  TimelineSpan,
  UiHost,
  UiState,
} from '../live/view.js';
import { ApprovalsPanel } from './approvals-panel.js';
import { ChaosPanel } from './chaos-panel.js';
import { lineChart, sparkline, timeline } from './charts.js';
import { h, replace } from './dom.js';
import { fmtMs, fmtRate } from './format.js';
import { gaugeCharts } from './gauge-series.js';
import { FlowRunsPanel } from './flow-runs-panel.js';
import { HotFunctionsPanel } from './hot-functions-panel.js';
import { newestArrival } from './process-follow.js';
import { taskIdLabel } from './task-id.js';

export interface FoxUiOptions {
  /** A frozen run (the HTML report): no approve/reject or kill switch. Default false. */
  readOnly?: boolean;
  /** The approver name to start with (e.g. `fox profile --approver`); else the remembered one. */
  approver?: string;
  /**
   * The host names the approver itself (the editor: its user), so the page shows no name
   * field and its Approve/Reject need none. Default false.
   */
  approverFromHost?: boolean;
}

export interface FoxUi {
  /** Feeds a message in (what `host.onMessage` delivers; exposed for static reports). */
  receive(message: ServerToUi): void;
  setTheme(theme: 'light' | 'dark' | 'auto'): void;
  dispose(): void;
}

/**
 * Mounts the Fox live UI into `root`. The host is the only way in and out: the browser page
 * passes a WebSocket adapter, the VS Code webview `acquireVsCodeApi().postMessage` and a
 * `message` listener, the static report a host that replays one snapshot.
 *
 * @example
 * createFoxUi(document.getElementById('fox-root')!, { post: (m) => ws.send(JSON.stringify(m)),
 *   onMessage: (cb) => ws.addEventListener('message', (e) => cb(JSON.parse(e.data))) });
 */
export function createFoxUi(root: HTMLElement, host: UiHost, options: FoxUiOptions = {}): FoxUi {
  const readOnly = options.readOnly ?? false;
  let state: UiState | undefined;
  let spans: TimelineSpan[] = [];
  let selectedProcess: string | undefined;
  let selectedTask: { processId: string; taskId: string } | undefined;
  /** Processes in the last state, to tell a newly connected one. */
  let knownProcesses = new Set<string>();
  let disposed = false;

  root.classList.add('fox-ui');
  const themeButton = h(
    'button',
    { type: 'button', class: 'fox-theme', title: 'Switch light/dark' },
    '◐',
  );
  const status = h('span', { class: 'fox-status', 'data-testid': 'status' }, 'waiting for data…');
  const approvals = new ApprovalsPanel(host, {
    readOnly,
    preset: options.approver,
    fromHost: options.approverFromHost ?? false,
  });
  const chaos = new ChaosPanel(host, readOnly);
  const hotFunctions = new HotFunctionsPanel(readOnly);
  const flowRuns = new FlowRunsPanel();
  const processList = h('ul', { class: 'fox-processes', 'data-testid': 'processes' });
  const charts = h('div', { class: 'fox-charts', 'data-testid': 'charts' });
  const taskBody = h('tbody', { 'data-testid': 'tasks' });
  const timelineBox = h('div', { class: 'fox-timeline-box', 'data-testid': 'timeline' });
  const timelineTitle = h('h2', {}, 'Timeline');
  const eventsList = h('ol', { class: 'fox-events', 'data-testid': 'events' });
  const columns = [
    'task',
    'pid',
    'mode',
    'calls/s',
    'p50',
    'p95',
    'p99',
    'errors',
    'in-flight/queue',
    'limit',
    'breaker',
    'trend',
  ];

  replace(
    root,
    h(
      'header',
      { class: 'fox-header' },
      h('h1', {}, readOnly ? 'Fox profile report' : 'Fox profiler'),
      status,
      chaos.killSwitch,
      themeButton,
    ),
    chaos.banner,
    h(
      'main',
      { class: 'fox-main' },
      h('section', { class: 'fox-side' }, h('h2', {}, 'Processes'), processList),
      h(
        'section',
        { class: 'fox-content' },
        charts,
        approvals.element,
        h('h2', {}, 'Tasks'),
        h(
          'table',
          { class: 'fox-tasks' },
          h(
            'thead',
            {},
            h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', 'data-col': c }, c))),
          ),
          taskBody,
        ),
        timelineTitle,
        timelineBox,
        hotFunctions.element,
        flowRuns.element,
        chaos.element,
        h('h2', {}, 'Events'),
        eventsList,
      ),
    ),
  );

  let theme: 'light' | 'dark' | 'auto' = 'auto';
  const setTheme = (t: 'light' | 'dark' | 'auto'): void => {
    theme = t;
    root.classList.toggle('fox-dark', t === 'dark');
    root.classList.toggle('fox-light', t === 'light');
  };
  themeButton.addEventListener('click', () => {
    const dark =
      theme === 'dark' ||
      (theme === 'auto' &&
        typeof matchMedia === 'function' &&
        matchMedia('(prefers-color-scheme: dark)').matches);
    setTheme(dark ? 'light' : 'dark');
  });

  function render(): void {
    if (!state || disposed) return;
    const st = state;
    const live = st.processes.filter((p) => p.connected).length;
    const count = `${st.processes.length} process${st.processes.length === 1 ? '' : 'es'}`;
    status.textContent = st.report
      ? `run of ${new Date(st.report.startedAt).toLocaleString()}` +
        (st.report.endedAt === null
          ? ''
          : ` – ${new Date(st.report.endedAt).toLocaleTimeString()}`) +
        ` · ${count} · ${st.collector.framesAccepted} intervals · ${st.collector.spansStored} spans`
      : `${count} (${live} live) · ` +
        `${st.collector.framesAccepted} frames · ${st.collector.framesRejected} rejected · ` +
        `updated ${new Date(st.at).toLocaleTimeString()}`;
    renderProcesses(st.processes);
    // A process that is gone from the state falls back to all processes.
    if (selectedProcess && !st.processes.some((p) => p.id === selectedProcess)) {
      selectedProcess = undefined;
    }
    replace(charts, ...gaugeCharts(st.processes, selectedProcess).map(lineChart));
    // Older hosts send no folded lists: fold the events feed they do send.
    const folded = st.proposals && st.chaosRuns ? undefined : foldFeed(st.events);
    const shown = (p: { processId: string | null }) =>
      !selectedProcess || p.processId === null || p.processId === selectedProcess;
    approvals.update((st.proposals ?? folded?.proposals ?? []).filter(shown), st.processes);
    chaos.update(
      (st.chaosRuns ?? folded?.chaosRuns ?? []).filter(shown),
      (st.chaosReports ?? []).filter(shown),
      st.processes,
    );
    renderTasks(
      st.tasks.filter((t) => !selectedProcess || t.processId === selectedProcess),
      st.processes,
    );
    renderTimeline();
    hotFunctions.update(
      (st.hotFunctions ?? []).filter((f) => !selectedProcess || f.processId === selectedProcess),
      st.processes,
    );
    flowRuns.update(
      (st.flowRuns ?? []).filter((r) => !selectedProcess || r.processId === selectedProcess),
      st.processes,
    );
    renderEvents(st);
  }

  function renderProcesses(processes: ProcessView[]): void {
    replace(
      processList,
      h(
        'li',
        { class: selectedProcess ? '' : 'fox-selected' },
        button('All processes', () => {
          selectedProcess = undefined;
          render();
        }),
      ),
      ...processes.map((p) => {
        const d = p.dropped;
        const lost = d.frames + d.spans + d.events;
        return h(
          'li',
          { class: p.id === selectedProcess ? 'fox-selected' : '', 'data-process-id': p.id },
          button(`${p.connected ? '●' : '○'} pid ${p.pid}`, () => {
            selectedProcess = p.id;
            render();
          }),
          h(
            'div',
            { class: 'fox-muted' },
            p.argv
              .map((a) => a.slice(a.lastIndexOf('/') + 1))
              .join(' ')
              .slice(0, 80),
          ),
          h(
            'div',
            { class: 'fox-muted' },
            `node ${p.nodeVersion}` +
              (lost > 0 || p.missedIntervals > 0
                ? ` · dropped ${lost} · missed ${p.missedIntervals}`
                : '') +
              (p.rowsRejected > 0 ? ` · rows refused by the store ${p.rowsRejected}` : ''),
          ),
        );
      }),
    );
  }

  function renderTasks(tasks: TaskView[], processes: ProcessView[]): void {
    // Rows of several processes (runs) look alike: then each names its process.
    const multi = new Set(tasks.map((t) => t.processId)).size > 1;
    const pidHead = root.querySelector<HTMLElement>('th[data-col="pid"]');
    if (pidHead) pidHead.hidden = !multi;
    if (tasks.length === 0) {
      replace(
        taskBody,
        h(
          'tr',
          {},
          h('td', { colspan: columns.length, class: 'fox-empty' }, 'No fox tasks reported yet.'),
        ),
      );
      return;
    }
    replace(
      taskBody,
      ...tasks.map((t) => {
        const selected = selectedTask?.taskId === t.id && selectedTask.processId === t.processId;
        const proc = processes.find((p) => p.id === t.processId);
        // Exited is news only live: in a report every run has ended.
        const gone = !readOnly && proc?.connected === false;
        const row = h(
          'tr',
          {
            class:
              `fox-task${selected ? ' fox-selected' : ''}${t.errorsPerSec > 0 ? ' fox-has-errors' : ''}` +
              (gone ? ' fox-gone' : ''),
            'data-task-id': t.id,
            'data-process-id': t.processId,
            tabindex: 0,
          },
          h(
            'td',
            {},
            taskIdLabel(t.id, t.location ? `${t.id}\n${t.location.file}:${t.location.line}` : t.id),
          ),
          h(
            'td',
            {
              class: 'fox-num',
              'data-col': 'pid',
              hidden: !multi,
              ...(readOnly ? {} : { title: gone ? 'exited' : 'running' }),
            },
            !proc ? '–' : readOnly ? String(proc.pid) : `${gone ? '○' : '●'} ${proc.pid}`,
          ),
          h('td', {}, t.current === t.mode ? t.mode : `${t.mode}→${t.current}`),
          h('td', { class: 'fox-num', 'data-col': 'rate' }, fmtRate(t.callsPerSec)),
          h('td', { class: 'fox-num' }, fmtMs(t.p50)),
          h('td', { class: 'fox-num' }, fmtMs(t.p95)),
          h('td', { class: 'fox-num' }, fmtMs(t.p99)),
          h(
            'td',
            { class: 'fox-num', 'data-col': 'calls', title: `${t.calls} calls` },
            `${t.errors} / ${t.calls}`,
          ),
          h('td', { class: 'fox-num' }, `${t.inFlight} / ${t.queued}`),
          h('td', { class: 'fox-num' }, t.limit === null ? '–' : t.limit.toFixed(0)),
          h('td', { class: `fox-breaker-${t.breaker ?? 'none'}` }, t.breaker ?? '–'),
          h('td', {}, sparkline(t.history.slice(-60))),
        );
        const select = (): void => {
          selectTask(t.processId, t.id);
          render();
        };
        row.addEventListener('click', select);
        row.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') select();
        });
        return row;
      }),
    );
  }

  function renderTimeline(): void {
    if (!selectedTask) {
      timelineTitle.textContent = 'Timeline';
      return replace(
        timelineBox,
        h('p', { class: 'fox-empty' }, 'Select a task to see its sampled calls.'),
      );
    }
    // The id as written: not in the heading's capitals.
    replace(
      timelineTitle,
      'Timeline · ',
      h('span', { class: 'fox-id-as-is' }, selectedTask.taskId),
    );
    replace(timelineBox, timeline(spans));
  }

  function renderEvents(st: UiState): void {
    const recent = st.events.slice(-50).reverse();
    if (recent.length === 0)
      return replace(eventsList, h('li', { class: 'fox-empty' }, 'No events yet.'));
    replace(
      eventsList,
      ...recent.map(({ event: e }) => {
        const time = new Date(e.at).toLocaleTimeString();
        let text: string;
        switch (e.kind) {
          case 'breaker':
          case 'limit':
          case 'strategy':
            text = `${e.taskId}: ${e.kind} ${e.from} → ${e.to}`;
            break;
          case 'proposal':
            text = `proposal ${e.state}: ${e.summary}`;
            break;
          case 'chaos':
            text =
              `chaos ${e.action}: ${e.taskIds.join(', ') || `experiment …${e.experimentId.slice(-8)}`}` +
              (e.detail ? ` (${e.detail})` : '');
            break;
          case 'chaos-report':
            text = `chaos report: ${e.report.name || e.report.experimentId} (${e.report.outcome})`;
            break;
        }
        return h('li', { class: `fox-event fox-event-${e.kind}` }, h('time', {}, time), ' ', text);
      }),
    );
  }

  const receive = (message: ServerToUi): void => {
    if (disposed) return;
    if (message.type === 'approval-relayed') {
      return approvals.relayed(message);
    } else if (message.type === 'chaos-kill-relayed') {
      return chaos.relayed(message);
    } else if (message.type === 'reveal') {
      pendingReveal = message;
    } else if (message.type === 'state') {
      state = message.state;
      followNewProcess(state);
    } else if (
      message.type === 'spans' &&
      selectedTask &&
      message.processId === selectedTask.processId &&
      message.taskId === selectedTask.taskId
    ) {
      spans = message.spans;
    }
    // A reveal can come before the state that has its task: it waits for one.
    if (pendingReveal && state && revealTask(state, pendingReveal)) pendingReveal = undefined;
    render();
  };

  let pendingReveal: Extract<ServerToUi, { type: 'reveal' }> | undefined;

  /** Selects the task a reveal names; false when the state does not have it (yet). */
  function revealTask(st: UiState, r: { taskId: string; processId?: string }): boolean {
    const live = new Set(st.processes.filter((p) => p.connected).map((p) => p.id));
    const candidates = st.tasks
      .filter(
        (t) => t.id === r.taskId && (r.processId === undefined || t.processId === r.processId),
      )
      .sort(
        (a, b) =>
          Number(live.has(b.processId)) - Number(live.has(a.processId)) || b.calls - a.calls,
      );
    const t = candidates[0];
    if (!t) return false;
    selectedProcess = undefined;
    selectTask(t.processId, t.id);
    return true;
  }

  function selectTask(processId: string, taskId: string): void {
    selectedTask = { processId, taskId };
    spans = [];
    host.post({ type: 'select', processId, taskId });
  }

  /**
   * A new run replaces a finished one: when a process connects while the selected process (or
   * the selected task's) has gone, the selection moves to the newcomer — the same task there,
   * if it has one. A selection of a live process stays where the user put it.
   */
  function followNewProcess(st: UiState): void {
    const newest = newestArrival(knownProcesses, st.processes);
    knownProcesses = new Set(st.processes.map((p) => p.id));
    if (!newest) return;
    const alive = (id: string) => st.processes.some((p) => p.id === id && p.connected);
    if (selectedProcess !== undefined && !alive(selectedProcess)) selectedProcess = newest.id;
    if (selectedTask && !alive(selectedTask.processId)) {
      const taskId = selectedTask.taskId;
      if (st.tasks.some((t) => t.processId === newest.id && t.id === taskId)) {
        selectTask(newest.id, taskId);
      }
    }
  }

  host.onMessage(receive);
  host.post({ type: 'ready' });

  return {
    receive,
    setTheme,
    dispose() {
      disposed = true;
      root.replaceChildren();
    },
  };
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'fox-link' }, label);
  b.addEventListener('click', onClick);
  return b;
}
