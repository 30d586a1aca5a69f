import type { WireChaosReport } from '@fox/sdk/protocol';
import type {
  ChaosReportView,
  ChaosRunView,
  ProcessView,
  ServerToUi,
  UiHost,
} from '../live/view.js';
import { h, replace } from './dom.js';
import { fmtMs } from './format.js';
import { taskIdLabel } from './task-id.js';

type PhaseStats = WireChaosReport['tasks'][string]['before'];
type Ci = { value: number; low: number; high: number };

const PHASES = ['before', 'during', 'after'] as const;

/**
 * Chaos in the UI: a banner while an experiment runs (with a per-process stop), the kill switch
 * (stop all injection everywhere), recent experiments, and each finished experiment's
 * before/during/after report per task with its 95 % confidence intervals.
 */
export class ChaosPanel {
  /** Shown above everything while an experiment runs. */
  readonly banner: HTMLElement;
  /** Experiments and reports. */
  readonly element: HTMLElement;
  /** The kill switch for the header. */
  readonly killSwitch: HTMLButtonElement;
  private readonly runsList = h('ul', { class: 'fox-chaos-runs', 'data-testid': 'chaos-runs' });
  private readonly reportsBox = h('div', {
    class: 'fox-chaos-reports',
    'data-testid': 'chaos-reports',
  });
  private readonly feedback = h('p', {
    class: 'fox-note',
    'data-testid': 'chaos-feedback',
    hidden: true,
  });
  private processes: ProcessView[] = [];
  private reportsKey = '';

  constructor(
    private readonly host: UiHost,
    private readonly readOnly: boolean,
  ) {
    this.killSwitch = h(
      'button',
      {
        type: 'button',
        class: 'fox-kill',
        'data-testid': 'chaos-kill',
        title: 'Kill switch: stop all chaos injection in every connected process',
        hidden: readOnly,
      },
      'Stop chaos',
    );
    this.killSwitch.addEventListener('click', () => this.kill(undefined));
    this.banner = h('div', {
      class: 'fox-chaos-banner',
      role: 'alert',
      'data-testid': 'chaos-banner',
      hidden: true,
    });
    this.element = h(
      'section',
      { class: 'fox-chaos', 'data-testid': 'chaos', hidden: true },
      h('h2', {}, 'Chaos experiments'),
      this.feedback,
      this.runsList,
      this.reportsBox,
    );
  }

  update(runs: ChaosRunView[], reports: ChaosReportView[], processes: ProcessView[]): void {
    this.processes = processes;
    const running = runs.filter((r) => r.state === 'running');
    // Only while an experiment is known to run, and usable only if its process can hear it.
    // (One started before this profiler is not known here: `fox chaos kill` stops those.)
    this.killSwitch.hidden = this.readOnly || running.length === 0;
    this.killSwitch.disabled = !running.some(
      (r) => processes.find((p) => p.id === r.processId)?.connected,
    );
    this.killSwitch.classList.toggle('fox-kill-armed', running.length > 0);
    this.banner.hidden = running.length === 0;
    replace(this.banner, ...running.map((r) => this.bannerLine(r)));
    this.element.hidden = runs.length === 0 && reports.length === 0;
    replace(this.runsList, ...runs.slice(0, 10).map((r) => this.runItem(r, reports)));
    // Reports do not change once written: redraw only when the list does.
    const key = reports.map((r) => r.report.experimentId).join();
    if (key !== this.reportsKey) {
      this.reportsKey = key;
      replace(this.reportsBox, ...reports.map((r) => reportTable(r.report)));
    }
  }

  relayed(m: Extract<ServerToUi, { type: 'chaos-kill-relayed' }>): void {
    this.feedback.hidden = false;
    this.feedback.textContent = m.ok
      ? `Kill switch sent to ${m.processes} process${m.processes === 1 ? '' : 'es'}.`
      : `Kill switch not delivered: ${m.reason ?? 'refused'}.`;
  }

  private bannerLine(r: ChaosRunView): HTMLElement {
    const proc = this.processes.find((p) => p.id === r.processId);
    const stop = h(
      'button',
      { type: 'button', class: 'fox-kill', 'data-action': 'stop', hidden: this.readOnly },
      'Stop',
    );
    stop.disabled = !proc?.connected;
    stop.addEventListener('click', () => this.kill(r.processId));
    return h(
      'div',
      { class: 'fox-chaos-line', 'data-experiment-id': r.experimentId },
      h('strong', {}, '⚡ Chaos experiment running'),
      ` in ${proc ? `pid ${proc.pid}` : 'a process'} on ${r.taskIds.join(', ') || 'no task'}` +
        ` since ${new Date(r.startedAt).toLocaleTimeString()}${r.detail ? ` — ${r.detail}` : ''}`,
      ' ',
      stop,
    );
  }

  private runItem(r: ChaosRunView, reports: ChaosReportView[]): HTMLElement {
    const report = reports.find((x) => x.report.experimentId === r.experimentId);
    return h(
      'li',
      { class: `fox-chaos-run fox-chaos-${r.state}`, 'data-experiment-id': r.experimentId },
      h('span', { class: `fox-badge fox-state-${r.state}` }, r.state),
      ` ${r.experimentId.slice(-8)} on ${r.taskIds.join(', ')} · ` +
        `${new Date(r.startedAt).toLocaleTimeString()}` +
        (r.endedAt === null ? '' : `–${new Date(r.endedAt).toLocaleTimeString()}`) +
        (r.detail ? ` · ${r.detail}` : '') +
        (report ? ' · report below' : ''),
    );
  }

  private kill(processId: string | undefined): void {
    this.host.post({
      type: 'chaos-kill',
      v: 1,
      token: this.host.token ?? '',
      ...(processId === undefined ? {} : { processId }),
      reason: 'kill switch in the fox UI',
    });
    this.feedback.hidden = false;
    this.feedback.textContent = 'Sending the kill switch…';
  }
}

/** One report: a row per task and phase, the "during" row marked. */
function reportTable(r: WireChaosReport): HTMLElement {
  const head = ['task', 'phase', 'calls', 'injected', 'error rate', 'p50', 'p99', 'fallback rate'];
  const rows = Object.entries(r.tasks).flatMap(([taskId, phases]) =>
    PHASES.map((phase, i) => {
      const st: PhaseStats = phases[phase];
      return h(
        'tr',
        { class: `fox-phase-${phase}`, 'data-chaos-task': taskId, 'data-phase': phase },
        i === 0 ? h('td', { rowspan: 3 }, taskIdLabel(taskId)) : null,
        h('td', {}, phase),
        h('td', { class: 'fox-num' }, String(st.calls)),
        h('td', { class: 'fox-num' }, String(st.injected)),
        h('td', { class: 'fox-num', 'data-col': 'error-rate' }, ci(st.errorRate, pct)),
        h('td', { class: 'fox-num', 'data-col': 'p50' }, ci(st.p50, fmtMs)),
        h('td', { class: 'fox-num', 'data-col': 'p99' }, ci(st.p99, fmtMs)),
        h('td', { class: 'fox-num', 'data-col': 'fallback-rate' }, ci(st.fallbackRate, pct)),
      );
    }),
  );
  const outcome =
    r.outcome === 'completed'
      ? 'completed'
      : `${r.outcome}${r.abortReason ? `: ${r.abortReason}` : ''}` +
        (r.abortLatencyMs === null ? '' : ` (stopped in ${fmtMs(r.abortLatencyMs)})`);
  return h(
    'figure',
    { class: 'fox-chaos-report', 'data-experiment-id': r.experimentId },
    h(
      'figcaption',
      {},
      h('strong', {}, r.name || r.experimentId),
      ` · ${outcome} · ${new Date(r.startedAt).toLocaleTimeString()}–${new Date(r.endedAt).toLocaleTimeString()}` +
        ` · ${r.affected} calls affected · seed ${r.seed}`,
    ),
    h(
      'table',
      { class: 'fox-tasks fox-chaos-table' },
      h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows),
    ),
    h('p', { class: 'fox-muted' }, 'Values with their 95 % confidence interval [low–high].'),
  );
}

function ci(v: Ci | null, format: (n: number) => string): string {
  if (v === null) return '–';
  return `${format(v.value)} [${format(v.low)}–${format(v.high)}]`;
}

function pct(v: number): string {
  const p = v * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : p.toFixed(0)}%`;
}
