import type { TimelineSpan } from '../live/view.js';
import { fmtMs, h, s } from './dom.js';

/** A small inline SVG sparkline of `values` (oldest first). */
export function sparkline(values: readonly number[], width = 90, height = 20): SVGSVGElement {
  const svg = s('svg', {
    class: 'fox-spark',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': 'calls per second',
  });
  if (values.length < 2) return svg;
  const max = Math.max(1e-9, ...values);
  const step = width / (values.length - 1);
  const pts = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`,
  );
  svg.append(s('polyline', { points: pts.join(' '), class: 'fox-spark-line' }));
  return svg;
}

export interface Series {
  name: string;
  /** CSS class that colours the line (`fox-s1`, `fox-s2`, `fox-s3`). */
  cls: string;
  values: readonly number[];
}

/** A line chart with a y-axis maximum label and a legend; values share one x axis (time). */
export function lineChart(
  title: string,
  series: readonly Series[],
  format: (v: number) => string,
  fixedMax?: number,
): HTMLElement {
  const width = 360;
  const height = 110;
  const pad = { l: 44, r: 6, t: 8, b: 14 };
  const all = series.flatMap((x) => x.values);
  const max = fixedMax ?? Math.max(1e-9, ...all) * 1.1;
  const svg = s('svg', {
    class: 'fox-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': title,
  });
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  for (const frac of [0, 0.5, 1]) {
    const y = pad.t + innerH * (1 - frac);
    svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'fox-grid' }));
    svg.append(
      s(
        'text',
        { x: pad.l - 4, y: y + 3, class: 'fox-axis', 'text-anchor': 'end' },
        format(max * frac),
      ),
    );
  }
  for (const x of series) {
    const n = x.values.length;
    if (n < 2) continue;
    const pts = x.values.map((v, i) => {
      const px = pad.l + (i / (n - 1)) * innerW;
      const py = pad.t + innerH * (1 - Math.min(1, v / max));
      return `${px.toFixed(1)},${py.toFixed(1)}`;
    });
    svg.append(s('polyline', { points: pts.join(' '), class: `fox-line ${x.cls}` }));
  }
  const legend = h(
    'div',
    { class: 'fox-legend' },
    ...series.map((x) => {
      const last = x.values[x.values.length - 1];
      return h(
        'span',
        { class: `fox-key ${x.cls}` },
        `${x.name} ${last === undefined ? '–' : format(last)}`,
      );
    }),
  );
  return h('figure', { class: 'fox-figure' }, h('figcaption', {}, title), svg, legend);
}

/**
 * The span timeline: one row per span, indented by depth, bars positioned on a shared time
 * axis across the displayed window.
 */
export function timeline(spans: readonly TimelineSpan[]): HTMLElement {
  if (spans.length === 0) {
    return h('p', { class: 'fox-empty' }, 'No sampled spans for this task yet.');
  }
  const start = Math.min(...spans.map((x) => x.start));
  const end = Math.max(...spans.map((x) => x.start + x.duration));
  const span = Math.max(1e-6, end - start);
  const rowH = 16;
  const width = 720;
  const labelW = 230;
  const barW = width - labelW - 8;
  const svg = s('svg', {
    class: 'fox-timeline',
    viewBox: `0 0 ${width} ${spans.length * rowH + 4}`,
    role: 'img',
    'aria-label': 'span timeline',
  });
  spans.forEach((x, i) => {
    const y = 2 + i * rowH;
    const bx = labelW + ((x.start - start) / span) * barW;
    const bw = Math.max(1.5, (x.duration / span) * barW);
    const label = `${'  '.repeat(x.depth)}${x.depth > 0 ? '└ ' : ''}${shortTask(x.taskId)}`;
    const g = s(
      'g',
      { class: `fox-span fox-outcome-${x.outcome}`, 'data-run-id': x.runId },
      s(
        'title',
        {},
        `${x.taskId} · ${fmtMs(x.duration)} · ${x.outcome} · attempt ${x.attempt} · ${x.strategy}`,
      ),
      s('text', { x: 4 + x.depth * 10, y: y + 11, class: 'fox-span-label' }, label.trim()),
      s('rect', { x: bx.toFixed(1), y: y + 2, width: bw.toFixed(1), height: rowH - 5, rx: 2 }),
      s(
        'text',
        // Right of the bar, or left of it when the bar reaches the edge.
        bx + bw + 44 <= width
          ? { x: (bx + bw + 3).toFixed(1), y: y + 11, class: 'fox-span-ms' }
          : { x: (bx - 3).toFixed(1), y: y + 11, class: 'fox-span-ms', 'text-anchor': 'end' },
        fmtMs(x.duration),
      ),
    );
    svg.append(g);
  });
  return svg as unknown as HTMLElement;
}

export function shortTask(id: string): string {
  const hash = id.lastIndexOf('#');
  const file = id.slice(0, hash);
  const name = id.slice(hash + 1);
  const base = file.slice(file.lastIndexOf('/') + 1);
  return hash >= 0 ? `${base}#${name}` : id;
}
