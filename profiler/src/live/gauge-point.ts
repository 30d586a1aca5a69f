import type { AggregatesFrame } from '@fox/sdk/protocol';
import type { GaugePoint } from './view.js';

/** An aggregates frame's process gauges as one point of the history (live view and stored rows). */
export function gaugePointOf(frame: AggregatesFrame): GaugePoint {
  const g = frame.process;
  const delay = g.eventLoopDelay;
  return {
    at: frame.at,
    // Null stays null ("no data yet"): a 0 here would read as a perfectly idle loop.
    delayP50: delay?.p50 ?? null,
    delayP99: delay?.p99 ?? null,
    delayMax: delay?.max ?? null,
    elu: g.eventLoopUtilization,
    cpu: g.cpu,
    heapUsedBytes: g.heapUsedBytes,
  };
}
