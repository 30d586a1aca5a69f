import type { HotFunctionView, ProcessView } from '../live/view.js';
import { h, replace } from './dom.js';
import { fmtMs } from './format.js';

const COLUMNS = ['function', 'pid', 'self', 'total', 'samples', 'longest stretch'] as const;

/**
 * The "Hot functions" table: sampled CPU per source function of the current run (self, total,
 * samples, and the longest stretch it held the event loop), busiest first. It covers every
 * function of the project, tasks or not: where a CPU-heavy plain function shows up.
 */
export class HotFunctionsPanel {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly pidHead: HTMLElement;

  constructor(private readonly readOnly: boolean) {
    this.title = h('h2', {}, 'Hot functions');
    this.body = h('tbody', {});
    this.pidHead = h('th', { scope: 'col', 'data-hot-col': 'pid' }, 'pid');
    this.element = h(
      'section',
      { class: 'fox-hot-functions', 'data-testid': 'hot-functions' },
      this.title,
      h(
        'table',
        { class: 'fox-tasks' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...COLUMNS.map((c) =>
              c === 'pid' ? this.pidHead : h('th', { scope: 'col', 'data-hot-col': c }, c),
            ),
          ),
        ),
        this.body,
      ),
    );
  }

  /** Shows `rows` (already filtered to the selected process, if any), busiest first. */
  update(rows: readonly HotFunctionView[], processes: readonly ProcessView[]): void {
    this.title.textContent = this.readOnly ? 'Hot functions · this run' : 'Hot functions';
    // Rows of several processes look alike: then each names its process, as tasks do.
    const multi = new Set(rows.map((r) => r.processId)).size > 1;
    this.pidHead.hidden = !multi;
    if (rows.length === 0) {
      replace(
        this.body,
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: COLUMNS.length, class: 'fox-empty' },
            'No CPU samples yet (a profiled program samples its CPU unless FOX_CPU_SAMPLING=off).',
          ),
        ),
      );
      return;
    }
    const pids = new Map(processes.map((p) => [p.id, p.pid]));
    replace(
      this.body,
      ...rows.map((r) =>
        h(
          'tr',
          {
            class: 'fox-hot-function',
            'data-function': `${r.file}:${r.line}`,
            'data-process-id': r.processId,
          },
          h(
            'td',
            { title: `${r.file}:${r.line}` },
            h('span', { class: 'fox-id-as-is' }, r.name),
            ' ',
            h('span', { class: 'fox-muted' }, `${r.file}:${r.line}`),
          ),
          h(
            'td',
            { class: 'fox-num', 'data-hot-col': 'pid', hidden: !multi },
            String(pids.get(r.processId) ?? '–'),
          ),
          h('td', { class: 'fox-num', 'data-hot-col': 'self' }, fmtMs(r.selfMs)),
          h('td', { class: 'fox-num', 'data-hot-col': 'total' }, fmtMs(r.totalMs)),
          h('td', { class: 'fox-num', 'data-hot-col': 'samples' }, String(r.samples)),
          h('td', { class: 'fox-num', 'data-hot-col': 'longest' }, fmtMs(r.longestSyncMs)),
        ),
      ),
    );
  }
}
