import type {
  BreakerState,
  DropCounters,
  SpanRecord,
  UiApprovalMessage,
  WireEvent,
} from '@fox/sdk';

/**
 * The messages between the profiler and its UI (the browser page, the VS Code webview, the
 * static report). Plain JSON; the UI imports only these types, never the server code.
 */

/** One point of a process's gauge history. */
export interface GaugePoint {
  at: number;
  /** Event-loop delay, ms. */
  delayP50: number;
  delayP99: number;
  delayMax: number;
  /** Event-loop utilisation, 0..1. */
  elu: number;
  cpu: number;
  heapUsedBytes: number;
}

export interface ProcessView {
  id: string;
  pid: number;
  argv: string[];
  nodeVersion: string;
  projectRoot: string;
  startedAt: number;
  connected: boolean;
  lastSeen: number;
  /** What the exporter reported it could not send (cumulative). */
  dropped: DropCounters;
  /** Intervals the profiler never received (seq gaps), including the exporter's drops. */
  missedIntervals: number;
  gauges: GaugePoint[];
}

export interface TaskView {
  processId: string;
  id: string;
  mode: string;
  current: string;
  policies: string[];
  location: { file: string; line: number; column: number } | null;
  /** Over the last interval. */
  callsPerSec: number;
  errorsPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  /** Cumulative since the process started. */
  calls: number;
  errors: number;
  inFlight: number;
  queued: number;
  limit: number | null;
  breaker: BreakerState | null;
  /** calls/s over the recent intervals, oldest first (the sparkline). */
  history: number[];
}

export interface EventView {
  processId: string;
  event: WireEvent;
}

export interface CollectorStatsView {
  framesAccepted: number;
  framesRejected: number;
  spansStored: number;
  spansDropped: number;
  connections: number;
}

export interface UiState {
  at: number;
  processes: ProcessView[];
  tasks: TaskView[];
  events: EventView[];
  collector: CollectorStatsView;
}

/** A sampled span with its depth in the displayed tree (0 = a call of the selected task). */
export interface TimelineSpan extends SpanRecord {
  depth: number;
}

export type ServerToUi =
  | { type: 'state'; state: UiState }
  | { type: 'spans'; processId: string; taskId: string; spans: TimelineSpan[] }
  /** Whether an approval decision reached its process (not whether the guardian accepted it). */
  | { type: 'approval-relayed'; proposalId: string; ok: boolean; reason?: string };

export type UiToServer =
  | { type: 'ready' }
  | { type: 'select'; processId: string; taskId: string }
  | { type: 'unselect' }
  | UiApprovalMessage;

/** The UI's side of the channel: the browser page uses a WebSocket, VS Code `postMessage`. */
export interface UiHost {
  post(message: UiToServer): void;
  onMessage(listener: (message: ServerToUi) => void): void;
}
