import type { GaugePoint, ProcessView, TaskView, UiState } from '../../src/index.js';

/** Builders of the states a host delivers, with defaults a test overrides. */

export function processView(
  id: string,
  pid: number,
  extra: Partial<ProcessView> = {},
): ProcessView {
  const now = Date.now();
  return {
    id,
    pid,
    argv: ['node', '/w/src/main.ts'],
    nodeVersion: 'v20.19.0',
    projectRoot: '/w',
    startedAt: now - 5000,
    connected: true,
    lastSeen: now,
    dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
    missedIntervals: 0,
    rowsRejected: 0,
    gauges: [],
    ...extra,
  };
}

export function gaugePoint(at: number, extra: Partial<GaugePoint> = {}): GaugePoint {
  return { at, delayP50: 0, delayP99: 0, delayMax: 0, elu: 0, cpu: 0, heapUsedBytes: 0, ...extra };
}

export function taskView(processId: string, id: string, extra: Partial<TaskView> = {}): TaskView {
  return {
    processId,
    id,
    mode: 'sfox',
    current: 'sfox',
    policies: [],
    location: null,
    callsPerSec: 10,
    errorsPerSec: 0,
    p50: 1,
    p95: 2,
    p99: 3,
    calls: 100,
    errors: 0,
    inFlight: 0,
    queued: 0,
    limit: null,
    breaker: null,
    history: [5, 10],
    ...extra,
  };
}

export function uiState(extra: Partial<UiState> = {}): UiState {
  return {
    at: Date.now(),
    processes: [],
    tasks: [],
    events: [],
    collector: {
      framesAccepted: 1,
      framesRejected: 0,
      spansStored: 0,
      spansDropped: 0,
      connections: 1,
    },
    proposals: [],
    chaosRuns: [],
    chaosReports: [],
    ...extra,
  };
}
