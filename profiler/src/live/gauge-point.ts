import type { AggregatesFrame } from '@fox/sdk';
import type { GaugePoint } from './view.js';

/** An aggregates frame's process gauges as one point of the history (live view and stored rows). */
export function gaugePointOf(frame: AggregatesFrame): GaugePoint {
  const g = frame.process;
  return {
    at: frame.at,
    delayP50: g.eventLoopDelay.p50,
    delayP99: g.eventLoopDelay.p99,
    delayMax: g.eventLoopDelay.max,
    elu: g.eventLoopUtilization,
    cpu: g.cpu,
    heapUsedBytes: g.heapUsedBytes,
  };
}
