import type { TimelineSpan } from '../live/view.js';
import { h, s } from './dom.js';
import { fmtMs } from './format.js';
import type { ChartSpec } from './gauge-series.js';

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

/** What a chart or legend shows for a series without a single measured point. */
export const NO_DATA = 'no data yet';

/**
 * A line chart of time series on a shared time axis, with y-axis labels, start/end times and a
 * legend with each line's latest value ({@link NO_DATA} before the first). Ratios are drawn on
 * a fixed 0–100 % scale.
 */
export function lineChart(spec: ChartSpec): HTMLElement {
  const { title, series } = spec;
  const format = spec.unit === 'ms' ? fmtMs : (v: number) => `${(v * 100).toFixed(0)}%`;
  const width = 360;
  const height = 110;
  const pad = { l: 44, r: 6, t: 8, b: 14 };
  const all = series.flatMap((x) => x.points);
  const max = spec.unit === 'ratio' ? 1 : axisMax(Math.max(0, ...all.map((p) => p.value)));
  const t0 = Math.min(...all.map((p) => p.at));
  const t1 = Math.max(...all.map((p) => p.at));
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
  if (all.length === 0) {
    // Not a flat line at 0: that would read as a perfectly idle loop.
    svg.append(
      s(
        'text',
        {
          x: pad.l + innerW / 2,
          y: pad.t + innerH / 2,
          class: 'fox-axis',
          'text-anchor': 'middle',
        },
        NO_DATA,
      ),
    );
  }
  if (all.length > 0 && t1 > t0) {
    const clock = (t: number) => new Date(t).toLocaleTimeString();
    svg.append(s('text', { x: pad.l, y: height - 2, class: 'fox-axis' }, clock(t0)));
    svg.append(
      s(
        'text',
        { x: width - pad.r, y: height - 2, class: 'fox-axis', 'text-anchor': 'end' },
        clock(t1),
      ),
    );
  }
  const span = Math.max(1, t1 - t0);
  for (const x of series) {
    if (x.points.length < 2) continue;
    const pts = x.points.map((p) => {
      const px = pad.l + ((p.at - t0) / span) * innerW;
      const py = pad.t + innerH * (1 - Math.min(1, p.value / max));
      return `${px.toFixed(1)},${py.toFixed(1)}`;
    });
    svg.append(
      s(
        'polyline',
        { points: pts.join(' '), class: `fox-line ${x.cls}`, 'data-series': x.name },
        s('title', {}, x.name),
      ),
    );
  }
  const legend = h(
    'div',
    { class: 'fox-legend' },
    ...series.map((x) => {
      const last = x.points[x.points.length - 1];
      return h(
        'span',
        { class: `fox-key ${x.cls}` },
        `${x.name} ${last === undefined ? NO_DATA : format(last.value)}`,
      );
    }),
  );
  return h('figure', { class: 'fox-figure' }, h('figcaption', {}, title), svg, legend);
}

/**
 * The top of a millisecond axis: a round 1, 2 or 5 × 10ⁿ at or above the peak, and at least
 * 1 ms, so the labels read as distinct values even when every point is 0 (a first interval).
 */
export function axisMax(peak: number): number {
  const floor = Math.max(1, peak);
  const magnitude = 10 ** Math.floor(Math.log10(floor));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= floor * (1 - 1e-9)) ?? 10;
  return step * magnitude;
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
  if (spans.some((x) => x.chaos !== undefined)) svg.append(hatchPattern());
  spans.forEach((x, i) => {
    const y = 2 + i * rowH;
    const bx = labelW + ((x.start - start) / span) * barW;
    const bw = Math.max(1.5, (x.duration / span) * barW);
    const label = `${x.depth > 0 ? '└ ' : ''}${x.taskId}`;
    const chaos = x.chaos !== undefined;
    const g = s(
      'g',
      {
        class: `fox-span fox-outcome-${x.outcome}${chaos ? ' fox-chaos' : ''}`,
        'data-run-id': x.runId,
        ...(chaos ? { 'data-chaos': x.chaos } : {}),
      },
      s(
        'title',
        {},
        `${x.taskId} · ${fmtMs(x.duration)} · ${x.outcome}` +
          `${x.errorCode ? ` (${x.errorCode})` : ''} · attempt ${x.attempt} · ${x.strategy}` +
          (chaos ? ` · fault injected by chaos experiment ${x.chaos}` : ''),
      ),
      spanLabel(label, 4 + x.depth * 10, y, labelW - 8 - (4 + x.depth * 10), rowH),
      s('rect', { x: bx.toFixed(1), y: y + 2, width: bw.toFixed(1), height: rowH - 5, rx: 2 }),
      // Hatched overlay plus a marker at the row start: visible whatever the outcome colour.
      chaos &&
        s('rect', {
          x: bx.toFixed(1),
          y: y + 2,
          width: bw.toFixed(1),
          height: rowH - 5,
          rx: 2,
          class: 'fox-chaos-hatch',
        }),
      chaos && s('text', { x: labelW - 6, y: y + 11, class: 'fox-chaos-mark' }, '⚡'),
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

/** Diagonal stripes for spans a chaos experiment injected into (`fill: url(#fox-hatch)`). */
function hatchPattern(): SVGDefsElement {
  return s(
    'defs',
    {},
    s(
      'pattern',
      {
        id: 'fox-hatch',
        width: 6,
        height: 6,
        patternUnits: 'userSpaceOnUse',
        patternTransform: 'rotate(45)',
      },
      s('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'fox-hatch-line' }),
    ),
  );
}

/** Average advance of the label font (10px system-ui), to tell whether a label fits. */
const LABEL_CHAR_WIDTH = 5.6;

/**
 * A span's label: the whole task id, in a box that clips it to the label column. One too long
 * for the column is aligned right, so its file and name stay visible and only the start is cut
 * (the span's tooltip has it whole).
 */
function spanLabel(label: string, x: number, y: number, width: number, height: number): SVGElement {
  const fits = label.length * LABEL_CHAR_WIDTH <= width;
  return s(
    'svg',
    { x, y, width: Math.max(0, width), height, class: 'fox-span-label-box' },
    s(
      'text',
      fits
        ? { x: 0, y: 11, class: 'fox-span-label' }
        : { x: width, y: 11, class: 'fox-span-label', 'text-anchor': 'end' },
      label,
    ),
  );
}
