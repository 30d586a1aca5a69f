import type { GaugePoint, ProcessView } from '../live/view.js';
import { fmtBytes } from './format.js';

/** One line: points on a shared time axis. */
export interface TimeSeries {
  name: string;
  /** CSS class that colours the line (`fox-s1` … `fox-s6`). */
  cls: string;
  points: { at: number; value: number }[];
}

export interface ChartSpec {
  title: string;
  series: TimeSeries[];
  unit: 'ms' | 'ratio';
}

/** Processes drawn at once in the "all processes" charts (the newest ones). */
export const MAX_PROCESS_SERIES = 6;

/**
 * The two gauge charts: for one process, its event-loop delay (p50/p99/max) and utilisation
 * (ELU/CPU); for all processes, one line per process — the p99 delay and the ELU — on a shared
 * time axis, so processes that started at different times line up.
 */
export function gaugeCharts(processes: readonly ProcessView[], selected?: string): ChartSpec[] {
  const one = selected === undefined ? undefined : processes.find((p) => p.id === selected);
  if (one) {
    const g = one.gauges;
    const heap = g[g.length - 1]?.heapUsedBytes ?? 0;
    return [
      {
        title: `Event-loop delay · pid ${one.pid}`,
        unit: 'ms',
        series: [
          line(
            'p50',
            1,
            known(g, (x) => x.delayP50),
          ),
          line(
            'p99',
            2,
            known(g, (x) => x.delayP99),
          ),
          line(
            'max',
            3,
            known(g, (x) => x.delayMax),
          ),
        ],
      },
      {
        title: `Event-loop utilisation · pid ${one.pid} · heap ${fmtBytes(heap)}`,
        unit: 'ratio',
        series: [
          line(
            'ELU',
            1,
            known(g, (x) => x.elu),
          ),
          line(
            'CPU',
            2,
            known(g, (x) => (x.cpu === null ? null : Math.min(1, x.cpu))),
          ),
        ],
      },
    ];
  }
  const shown = processes.filter((p) => p.gauges.length > 0).slice(0, MAX_PROCESS_SERIES);
  if (shown.length === 0) return [];
  const n = processes.filter((p) => p.gauges.length > 0).length;
  const more = n > shown.length ? ` (newest ${shown.length} of ${n})` : '';
  return [
    {
      title: `Event-loop delay p99 · all processes${more}`,
      unit: 'ms',
      series: shown.map((p, i) =>
        line(
          `pid ${p.pid}`,
          i + 1,
          known(p.gauges, (x) => x.delayP99),
        ),
      ),
    },
    {
      title: `Event-loop utilisation · all processes${more}`,
      unit: 'ratio',
      series: shown.map((p, i) =>
        line(
          `pid ${p.pid}`,
          i + 1,
          known(p.gauges, (x) => x.elu),
        ),
      ),
    },
  ];
}

/**
 * The points of one gauge that has data: an interval without it (null, "no data yet") is left
 * out rather than drawn as 0, which would read as an idle loop.
 */
function known(
  gauges: readonly GaugePoint[],
  value: (g: GaugePoint) => number | null,
): TimeSeries['points'] {
  return gauges.flatMap((g) => {
    const v = value(g);
    return v === null ? [] : [{ at: g.at, value: v }];
  });
}

function line(name: string, colour: number, points: TimeSeries['points']): TimeSeries {
  return { name, cls: `fox-s${((colour - 1) % MAX_PROCESS_SERIES) + 1}`, points };
}
