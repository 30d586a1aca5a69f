import type { WireFlowNode } from '@fox/sdk/protocol';
import type { FlowRunView, ProcessView } from '../live/view.js';
import { h, replace, s } from './dom.js';
import { FLOW_NODE_HEIGHT, FLOW_NODE_WIDTH, layoutFlow, type PlacedNode } from './flow-layout.js';
import { fmtMs } from './format.js';

/**
 * The "Flow runs" panel: the recent flow runs (newest first); selecting one draws its graph —
 * nodes in columns by depth, coloured by status (ok / failed / skipped / cancelled / running /
 * pending), each with its duration, and the run's critical path outlined with its edges.
 */
export class FlowRunsPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly graph: HTMLElement;
  private readonly caption: HTMLElement;
  private selected: string | undefined;
  private runs: readonly FlowRunView[] = [];
  private processes: readonly ProcessView[] = [];
  /** What the graph shows now, so an unchanged run is not redrawn every push. */
  private drawn: string | undefined;

  constructor() {
    this.list = h('ul', { class: 'fox-flow-runs', 'data-testid': 'flow-runs' });
    this.caption = h('p', { class: 'fox-muted', 'data-testid': 'flow-caption' });
    this.graph = h('div', { class: 'fox-flow-graph-box', 'data-testid': 'flow-graph' });
    this.element = h(
      'section',
      { class: 'fox-flows', 'data-testid': 'flows' },
      h('h2', {}, 'Flow runs'),
      this.list,
      this.caption,
      this.graph,
    );
  }

  /** Shows `runs` (already filtered to the selected process, if any), newest first. */
  update(runs: readonly FlowRunView[], processes: readonly ProcessView[]): void {
    this.runs = runs;
    this.processes = processes;
    this.render();
  }

  private render(): void {
    if (this.runs.length === 0) {
      replace(
        this.list,
        h('li', { class: 'fox-empty' }, 'No flow runs yet (sampled runs of fox.flow appear here).'),
      );
    } else {
      const pids = new Map(this.processes.map((p) => [p.id, p.pid]));
      const multi = new Set(this.runs.map((r) => r.processId)).size > 1;
      replace(
        this.list,
        ...this.runs.map((r) => this.item(r, multi ? pids.get(r.processId) : undefined)),
      );
    }
    const run = this.runs.find((r) => r.run.runId === this.selected);
    // A run in progress changes node by node while its own status stays `running`.
    const key = run
      ? `${run.run.runId}:${run.run.status}:` +
        run.run.nodes.map((n) => `${n.status}${n.end ?? ''}`).join('|')
      : undefined;
    if (key === this.drawn) return;
    this.drawn = key;
    if (!run) {
      this.caption.textContent = this.runs.length > 0 ? 'Select a flow run to draw its graph.' : '';
      replace(this.graph);
      return;
    }
    this.caption.textContent = captionOf(run);
    replace(this.graph, drawGraph(run));
  }

  private item(r: FlowRunView, pid: number | undefined): HTMLElement {
    const run = r.run;
    const selected = run.runId === this.selected;
    const button = h(
      'button',
      { type: 'button', class: 'fox-link', title: run.runId },
      `${run.flow} `,
      h('span', { class: `fox-flow-status fox-flow-${run.status}` }, run.status),
      ' ',
      h(
        'span',
        { class: 'fox-muted' },
        `${run.nodes.length + run.omitted} nodes` +
          (run.end === undefined ? '' : ` · ${fmtMs(run.end - run.start)}`) +
          ` · ${new Date(run.start).toLocaleTimeString()}` +
          (pid === undefined ? '' : ` · pid ${pid}`),
      ),
    );
    button.addEventListener('click', () => {
      this.selected = selected ? undefined : run.runId;
      this.render();
    });
    return h(
      'li',
      {
        class: selected ? 'fox-flow-run fox-selected' : 'fox-flow-run',
        'data-run-id': run.runId,
        'data-status': run.status,
      },
      button,
    );
  }
}

function captionOf({ run }: FlowRunView): string {
  const path = run.criticalPath;
  const first = run.nodes.find((n) => n.name === path[0]);
  const last = run.nodes.find((n) => n.name === path[path.length - 1]);
  const length =
    first?.start !== undefined && last?.end !== undefined
      ? ` (${fmtMs(last.end - first.start)})`
      : '';
  return (
    `${run.flow} · ${run.runId}` +
    (path.length > 0 ? ` · critical path: ${path.join(' → ')}${length}` : '') +
    (run.omitted > 0 ? ` · ${run.omitted} more nodes not shown` : '')
  );
}

function drawGraph({ run }: FlowRunView): SVGSVGElement {
  const layout = layoutFlow(run.nodes, run.criticalPath);
  const at = new Map(layout.nodes.map((p) => [p.node.name, p]));
  const edges = layout.edges.map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const x1 = a.x + FLOW_NODE_WIDTH;
    const y1 = a.y + FLOW_NODE_HEIGHT / 2;
    const x2 = b.x;
    const y2 = b.y + FLOW_NODE_HEIGHT / 2;
    const mid = (x1 + x2) / 2;
    return s('path', {
      class: e.critical ? 'fox-flow-edge fox-flow-critical' : 'fox-flow-edge',
      d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
      'data-from': e.from,
      'data-to': e.to,
      'data-critical': e.critical ? 'true' : undefined,
    });
  });
  return s(
    'svg',
    {
      class: 'fox-flow-graph',
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: 'img',
      'aria-label': `flow ${run.flow}: ${run.nodes.length} nodes`,
    },
    s('g', { class: 'fox-flow-edges' }, ...edges),
    s('g', { class: 'fox-flow-nodes' }, ...layout.nodes.map(drawNode)),
  );
}

function drawNode(p: PlacedNode): SVGGElement {
  const n = p.node;
  const duration = durationOf(n);
  const label = n.name.length > 20 ? `${n.name.slice(0, 19)}…` : n.name;
  const detail =
    n.status === 'skipped'
      ? `skipped${n.skipReason ? ` (${SKIP_LABELS[n.skipReason] ?? n.skipReason})` : ''}`
      : `${n.status}${duration === undefined ? '' : ` · ${fmtMs(duration)}`}` +
        (n.restored ? ' · restored' : '');
  return s(
    'g',
    {
      class: `fox-flow-node fox-flow-${n.status}${p.critical ? ' fox-flow-critical' : ''}`,
      transform: `translate(${p.x},${p.y})`,
      'data-node': n.name,
      'data-status': n.status,
      'data-depth': p.depth,
      'data-critical': p.critical ? 'true' : undefined,
      'data-duration-ms': duration === undefined ? undefined : duration.toFixed(3),
    },
    s(
      'title',
      {},
      `${n.name}: ${detail}` +
        (n.errorCode ? ` · ${n.errorCode}` : '') +
        (n.needs.length > 0 ? `\nneeds ${n.needs.join(', ')}` : ''),
    ),
    s('rect', { width: FLOW_NODE_WIDTH, height: FLOW_NODE_HEIGHT, rx: 6, ry: 6 }),
    s('text', { x: 8, y: 17, class: 'fox-flow-name' }, label),
    s('text', { x: 8, y: 33, class: 'fox-flow-detail' }, detail),
  );
}

/** Short forms of the sdk's skip reasons, to fit a node box (the title has the node's name). */
const SKIP_LABELS: Record<string, string> = {
  condition: 'when',
  'dependency-failed': 'need failed',
  'dependency-skipped': 'need skipped',
  cancelled: 'stopped',
};

function durationOf(n: WireFlowNode): number | undefined {
  return n.start !== undefined && n.end !== undefined ? n.end - n.start : undefined;
}
