import assert from 'node:assert/strict';
import type { GaugePoint, ProcessView } from '../src/live/view.js';
import { gaugeCharts, MAX_PROCESS_SERIES } from '../src/ui/gauge-series.js';

function proc(id: string, pid: number, startAt: number, delays: number[]): ProcessView {
  return {
    id,
    pid,
    argv: [],
    nodeVersion: 'v20',
    projectRoot: '/',
    startedAt: startAt,
    connected: true,
    lastSeen: startAt,
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
    missedIntervals: 0,
    rowsRejected: 0,
    gauges: delays.map((d, i): GaugePoint => ({
      at: startAt + i * 1000,
      delayP50: d / 2,
      delayP99: d,
      delayMax: d * 2,
      elu: d / 100,
      cpu: 0.1,
      heapUsedBytes: 1 << 20,
    })),
  };
}

describe('gauge charts', () => {
  const a = proc('A', 101, 10_000, [1, 2, 3]);
  const b = proc('B', 202, 12_000, [40, 50]);

  it('for all processes, draws one line per process on a shared time axis (not only the first)', () => {
    const [delay, elu] = gaugeCharts([a, b]);
    assert.deepEqual(
      delay!.series.map((s) => [s.name, s.points.map((p) => [p.at, p.value])]),
      [
        [
          'pid 101',
          [
            [10_000, 1],
            [11_000, 2],
            [12_000, 3],
          ],
        ],
        [
          'pid 202',
          [
            [12_000, 40],
            [13_000, 50],
          ],
        ],
      ],
    );
    assert.deepEqual(
      elu!.series.map((s) => s.name),
      ['pid 101', 'pid 202'],
    );
    assert.notEqual(delay!.series[0]!.cls, delay!.series[1]!.cls, 'told apart by colour');
    assert.match(delay!.title, /all processes/);
  });

  it('for the selected process, draws its p50/p99/max and ELU/CPU', () => {
    const [delay, elu] = gaugeCharts([a, b], 'B');
    assert.match(delay!.title, /pid 202/);
    assert.deepEqual(
      delay!.series.map((s) => [s.name, s.points.map((p) => p.value)]),
      [
        ['p50', [20, 25]],
        ['p99', [40, 50]],
        ['max', [80, 100]],
      ],
    );
    assert.deepEqual(
      elu!.series.map((s) => s.name),
      ['ELU', 'CPU'],
    );
  });

  it('caps the processes drawn and says so; nothing to draw without gauges', () => {
    const many = Array.from({ length: 9 }, (_, i) => proc(`P${i}`, i, 0, [1, 2]));
    const [delay] = gaugeCharts(many);
    assert.equal(delay!.series.length, MAX_PROCESS_SERIES);
    assert.match(delay!.title, /newest 6 of 9/);
    assert.deepEqual(gaugeCharts([proc('E', 1, 0, [])]), []);
  });
});
