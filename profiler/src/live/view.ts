import type {
  BreakerState,
  CpuFunctionStats,
  DropCounters,
  FlowRunFrame,
  SpanRecord,
  UiApprovalMessage,
  UiChaosKillMessage,
  WireChaosReport,
  WireEvent,
} from '@fox/sdk/protocol';

/**
 * The messages between the profiler and its UI (the browser page, the VS Code webview, the
 * static report). Plain JSON; the UI imports only these types, never the server code.
 */

/** One point of a process's gauge history. */
export interface GaugePoint {
  at: number;
  /** Event-loop delay, ms, net of the monitor's timer period; null: no data in the interval. */
  delayP50: number | null;
  delayP99: number | null;
  delayMax: number | null;
  /** Event-loop utilisation, 0..1, and CPU (cores); null: the interval was too short to tell. */
  elu: number | null;
  cpu: number | null;
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
  /** Rows of this process that the store refused (values its columns cannot hold). */
  rowsRejected: number;
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
  /**
   * Latency over the process's life as the SDK aggregates it (the lens's "p50 over N calls");
   * absent until the first aggregates frame.
   */
  latency?: { count: number; p50: number; p90: number; p99: number; max: number };
  /** Errors by code since the process started (`FOX_TIMEOUT`, `ECONNRESET`, a class name…). */
  errorsByCode?: Record<string, number>;
  /** Policy parameters the task runs with now (see the wire's `TaskAggregate.running`). */
  running?: { timeoutMs?: number; retryAttempts?: number; bulkheadLimit?: number };
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

export type ProposalState = Extract<WireEvent, { kind: 'proposal' }>['state'];

/** A proposal as its latest event describes it (folded from the events feed). */
export interface ProposalView {
  processId: string;
  proposalId: string;
  taskId: string | null;
  summary: string;
  state: ProposalState;
  /** SHA-256 of the exact change; an approval must carry it. Absent: cannot be approved here. */
  payloadHash?: string;
  /** Approvals still needed while pending. */
  approvalsNeeded?: number;
  /** Named approvers so far. */
  approvers?: string[];
  /** The newest audit log entry about it (entry id). */
  auditId?: string;
  /** The first event seen about it, epoch ms. */
  createdAt: number;
  /** The latest event about it, epoch ms. */
  at: number;
}

/** One chaos experiment as its start/stop/abort events describe it. */
export interface ChaosRunView {
  processId: string;
  experimentId: string;
  taskIds: string[];
  state: 'running' | 'stopped' | 'aborted';
  startedAt: number;
  /** When it stopped or aborted; null while running. */
  endedAt: number | null;
  detail?: string;
}

/** A finished experiment's before/during/after report. */
export interface ChaosReportView {
  /** The process that sent it; null when it was loaded from the store. */
  processId: string | null;
  report: WireChaosReport;
}

/**
 * One source function's sampled CPU in one process over the current run (the "Hot functions"
 * table): what V8's sampling profiler saw, source-mapped, whether the function is a task or not.
 * `file` project-relative (forward slashes), `line` 1-based in the source; `selfMs` with the
 * function innermost among the project's frames, `totalMs` anywhere on the stack,
 * `longestSyncMs` the longest run of consecutive samples with it on the stack (how long it
 * held the loop).
 */
export interface HotFunctionView extends Omit<CpuFunctionStats, 'column'> {
  processId: string;
}

/**
 * One flow run as its latest `flow-run` frame describes it: the graph (nodes, needs), each
 * node's status and timing, the critical path. Times are epoch ms.
 */
export interface FlowRunView {
  processId: string;
  run: FlowRunFrame;
}

/** Set when the state is a stored run rendered as a report (not a live profiler). */
export interface ReportInfo {
  sessionId: string;
  startedAt: number;
  endedAt: number | null;
}

export interface UiState {
  at: number;
  processes: ProcessView[];
  tasks: TaskView[];
  events: EventView[];
  collector: CollectorStatsView;
  /**
   * Recent proposals, newest first, by their latest state. Optional (older hosts omit it): the
   * UI then folds them from `events`.
   */
  proposals?: ProposalView[];
  /** Recent chaos experiments, newest first. Optional like `proposals`. */
  chaosRuns?: ChaosRunView[];
  /** Recent chaos reports, newest first (the live profiler also loads the last stored ones). */
  chaosReports?: ChaosReportView[];
  /**
   * Sampled CPU per source function, busiest (total time) first, at most a few per process.
   * Optional: absent when nothing was sampled, or from an older host.
   */
  hotFunctions?: HotFunctionView[];
  /**
   * Recent flow runs, newest first, with their graphs (bounded in runs and nodes; the HTTP API
   * `/api/flows` serves more). Optional: absent from older hosts.
   */
  flowRuns?: FlowRunView[];
  report?: ReportInfo;
}

/** A sampled span with its depth in the displayed tree (0 = a call of the selected task). */
export interface TimelineSpan extends SpanRecord {
  depth: number;
}

export type ServerToUi =
  | { type: 'state'; state: UiState }
  | { type: 'spans'; processId: string; taskId: string; spans: TimelineSpan[] }
  /** Whether an approval decision reached its process (not whether the guardian accepted it). */
  | { type: 'approval-relayed'; proposalId: string; ok: boolean; reason?: string }
  /** Whether the chaos kill switch reached the process(es); `processes` = how many. */
  | { type: 'chaos-kill-relayed'; ok: boolean; processes: number; reason?: string }
  /**
   * The host asks the UI to select a task (the editor's "open in the profiler" link); without
   * `processId`, in the live process that called it most.
   */
  | { type: 'reveal'; taskId: string; processId?: string };

export type UiToServer =
  | { type: 'ready' }
  | { type: 'select'; processId: string; taskId: string }
  | { type: 'unselect' }
  | UiApprovalMessage
  | UiChaosKillMessage;

/** The UI's side of the channel: the browser page uses a WebSocket, VS Code `postMessage`. */
export interface UiHost {
  post(message: UiToServer): void;
  onMessage(listener: (message: ServerToUi) => void): void;
  /**
   * The profiler token, when the host holds one (the browser page, from its own URL): approval
   * and chaos-kill messages carry it. A host without one (the VS Code webview) leaves it out;
   * the UI then sends those messages with an empty `token`, and the host relays them in-process
   * (`profiler.decide`, `profiler.killChaos`), where no token is needed.
   */
  readonly token?: string;
}
