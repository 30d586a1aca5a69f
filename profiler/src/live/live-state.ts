import type {
  AggregatesFrame,
  FlowRunFrame,
  HelloFrame,
  SpanRecord,
  WireEvent,
} from '@fox/sdk/protocol';
import { foldChaos, foldProposal, trimMap } from './feed-fold.js';
import { gaugePointOf } from './gauge-point.js';
import { buildTimeline } from './timeline.js';
import type {
  ChaosReportView,
  ChaosRunView,
  CollectorStatsView,
  EventView,
  FlowRunView,
  ProcessView,
  ProposalView,
  TaskView,
  TimelineSpan,
  UiState,
} from './view.js';

const HISTORY = 120;
const SPANS_PER_PROCESS = 5000;
const EVENTS = 200;
const PROPOSALS = 200;
const CHAOS_RUNS = 50;
const CHAOS_REPORTS = 20;
/** Flow runs kept in memory (newest by start), and how many of them each state push carries. */
const FLOW_RUNS = 100;
const FLOW_RUNS_IN_STATE = 20;
/** Nodes over all the runs one state push carries: a push each second stays small. */
const FLOW_NODES_IN_STATE = 3000;

interface ProcessEntry {
  view: ProcessView;
  lastSeq: number;
  /** Exporter drop count at the last frame, to tell its drops from transport losses. */
  tasks: Map<string, TaskView>;
  spans: SpanRecord[];
}

/**
 * The profiler's in-memory picture of what is running: the recent history each live view
 * needs, bounded per process (gauges, task sparklines, spans, events), independent of SQLite.
 */
export class LiveState {
  private readonly processes = new Map<string, ProcessEntry>();
  private eventLog: EventView[] = [];
  /**
   * Kept apart from the sliding event log, so a pending proposal or a running experiment stays
   * visible however many breaker or limit events follow it.
   */
  private readonly proposals = new Map<string, ProposalView>();
  private readonly chaosRuns = new Map<string, ChaosRunView>();
  private chaosReports: ChaosReportView[] = [];
  /** By run id: a run's later frame (it ended) replaces its earlier one (it started). */
  private readonly flowRunsById = new Map<string, FlowRunView>();

  constructor(private readonly maxProcesses = 50) {}

  hello(frame: HelloFrame): void {
    const p = frame.process;
    let entry = this.processes.get(p.id);
    if (!entry) {
      entry = {
        view: {
          id: p.id,
          pid: p.pid,
          argv: p.argv,
          nodeVersion: p.nodeVersion,
          projectRoot: p.projectRoot,
          startedAt: p.startedAt,
          connected: true,
          lastSeen: Date.now(),
          dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
          missedIntervals: 0,
          rowsRejected: 0,
          gauges: [],
        },
        lastSeq: 0,
        tasks: new Map(),
        spans: [],
      };
      this.processes.set(p.id, entry);
      this.evict();
    }
    entry.view.connected = true;
    entry.view.lastSeen = Date.now();
    // Intervals an earlier profiler acknowledged were stored by it: not missed by this one.
    if (frame.acked !== undefined && frame.acked > entry.lastSeq) entry.lastSeq = frame.acked;
    for (const t of frame.tasks) {
      const existing = entry.tasks.get(t.id);
      if (existing) {
        existing.mode = t.mode;
        existing.current = t.current;
        existing.policies = t.policies;
        existing.location = t.location;
      } else {
        entry.tasks.set(t.id, emptyTask(p.id, t.id, t.mode, t.current, t.policies, t.location));
      }
    }
  }

  disconnected(processId: string): void {
    const entry = this.processes.get(processId);
    if (!entry) return;
    entry.view.connected = false;
    // A gone process runs nothing: its last interval's rates must not read as current ones.
    for (const t of entry.tasks.values()) {
      t.callsPerSec = 0;
      t.errorsPerSec = 0;
      t.inFlight = 0;
      t.queued = 0;
    }
  }

  /** A row of this process's telemetry that the store refused. */
  rowRejected(processId: string): void {
    const entry = this.processes.get(processId);
    if (entry) entry.view.rowsRejected++;
  }

  /**
   * Returns the number of intervals missing before this frame (0 when in order). A frame seen
   * before (the exporter re-sends frames whose acknowledgement it never got) changes nothing.
   */
  aggregates(processId: string, frame: AggregatesFrame): number {
    const entry = this.processes.get(processId);
    if (!entry || frame.seq <= entry.lastSeq) return 0;
    const v = entry.view;
    const missed = frame.seq - entry.lastSeq - 1;
    entry.lastSeq = frame.seq;
    v.missedIntervals += missed;
    v.dropped = frame.dropped;
    v.lastSeen = Date.now();
    push(v.gauges, gaugePointOf(frame));
    const seconds = Math.max(0.001, frame.intervalMs / 1000);
    for (const t of frame.tasks) {
      let view = entry.tasks.get(t.id);
      if (!view) {
        view = emptyTask(processId, t.id, t.mode, t.current, [], null);
        entry.tasks.set(t.id, view);
      }
      view.current = t.current;
      view.callsPerSec = t.interval.calls / seconds;
      view.errorsPerSec = t.interval.errors / seconds;
      if (t.interval.calls > 0) {
        view.p50 = t.interval.p50;
        view.p95 = t.interval.p95;
        view.p99 = t.interval.p99;
      }
      view.calls = t.calls;
      view.errors = t.errors;
      const { count, p50, p90, p99, max } = t.latency;
      view.latency = { count, p50, p90, p99, max };
      view.errorsByCode = t.errorsByCode;
      if (t.running) view.running = t.running;
      else delete view.running;
      view.inFlight = t.inFlight;
      view.queued = t.queued;
      view.limit = t.limit;
      view.breaker = t.breaker;
      push(view.history, view.callsPerSec);
    }
    return missed;
  }

  spans(processId: string, spans: readonly SpanRecord[]): void {
    const entry = this.processes.get(processId);
    if (!entry) return;
    const ring = entry.spans;
    for (const s of spans) ring.push(s);
    if (ring.length > SPANS_PER_PROCESS) ring.splice(0, ring.length - SPANS_PER_PROCESS);
  }

  events(processId: string, events: readonly WireEvent[]): void {
    for (const event of events) {
      if (event.kind === 'chaos-report') {
        this.chaosReport({ processId, report: event.report });
        // Reports can be large: they live in their own list, not in the feed pushed each second.
        continue;
      }
      if (event.kind === 'proposal') foldProposal(this.proposals, processId, event);
      else if (event.kind === 'chaos') foldChaos(this.chaosRuns, processId, event);
      this.eventLog.push({ processId, event });
    }
    if (this.eventLog.length > EVENTS) this.eventLog = this.eventLog.slice(-EVENTS);
    trimMap(this.proposals, PROPOSALS, (p) => p.state !== 'pending');
    trimMap(this.chaosRuns, CHAOS_RUNS, (r) => r.state !== 'running');
  }

  /** Adds (or replaces, by experiment id) a chaos report; newest first, bounded. */
  chaosReport(view: ChaosReportView): void {
    const id = view.report.experimentId;
    const run = this.chaosRuns.get(id);
    // The report is the last word on an experiment whose stop event was lost.
    if (run && run.state === 'running') {
      run.state = view.report.outcome === 'completed' ? 'stopped' : 'aborted';
      run.endedAt = view.report.endedAt;
    }
    this.chaosReports = [view, ...this.chaosReports.filter((r) => r.report.experimentId !== id)]
      .sort((a, b) => b.report.endedAt - a.report.endedAt)
      .slice(0, CHAOS_REPORTS);
  }

  flowRun(processId: string, run: FlowRunFrame): void {
    this.flowRunsById.set(run.runId, { processId, run });
    if (this.flowRunsById.size <= FLOW_RUNS) return;
    let oldest: FlowRunView | undefined;
    for (const v of this.flowRunsById.values()) {
      if (!oldest || v.run.start < oldest.run.start) oldest = v;
    }
    this.flowRunsById.delete(oldest!.run.runId);
  }

  /** Recent flow runs, newest first (at most `limit`), optionally of one process. */
  flowRuns(limit = FLOW_RUNS, processId?: string): FlowRunView[] {
    return [...this.flowRunsById.values()]
      .filter((v) => processId === undefined || v.processId === processId)
      .sort((a, b) => b.run.start - a.run.start)
      .slice(0, limit);
  }

  /** One recent flow run by its run id. */
  flowRunById(runId: string): FlowRunView | undefined {
    return this.flowRunsById.get(runId);
  }

  knowsTask(processId: string, taskId: string): boolean {
    return this.processes.get(processId)?.tasks.has(taskId) ?? false;
  }

  /** The recent calls of one task with their nested children: what the timeline draws. */
  timeline(processId: string, taskId: string): TimelineSpan[] {
    return buildTimeline(this.processes.get(processId)?.spans ?? [], taskId);
  }

  snapshot(collector: CollectorStatsView): UiState {
    const processes = [...this.processes.values()].sort(
      (a, b) => b.view.startedAt - a.view.startedAt,
    );
    return {
      at: Date.now(),
      processes: processes.map((p) => p.view),
      tasks: processes.flatMap((p) => [...p.tasks.values()]),
      events: this.eventLog.slice(-100),
      collector,
      proposals: [...this.proposals.values()].sort((a, b) => b.createdAt - a.createdAt),
      chaosRuns: [...this.chaosRuns.values()].sort((a, b) => b.startedAt - a.startedAt),
      chaosReports: this.chaosReports,
      flowRuns: this.flowRunsForState(),
    };
  }

  private flowRunsForState(): FlowRunView[] {
    const out: FlowRunView[] = [];
    let nodes = 0;
    for (const v of this.flowRuns(FLOW_RUNS_IN_STATE)) {
      nodes += v.run.nodes.length;
      if (nodes > FLOW_NODES_IN_STATE && out.length > 0) break;
      out.push(v);
    }
    return out;
  }

  private evict(): void {
    if (this.processes.size <= this.maxProcesses) return;
    // Forget the oldest disconnected processes first (the store keeps their history).
    const victims = [...this.processes.values()]
      .filter((p) => !p.view.connected)
      .sort((a, b) => a.view.lastSeen - b.view.lastSeen);
    for (const v of victims) {
      if (this.processes.size <= this.maxProcesses) break;
      this.processes.delete(v.view.id);
    }
  }
}

function push<T>(ring: T[], value: T): void {
  ring.push(value);
  if (ring.length > HISTORY) ring.splice(0, ring.length - HISTORY);
}

function emptyTask(
  processId: string,
  id: string,
  mode: string,
  current: string,
  policies: string[],
  location: TaskView['location'],
): TaskView {
  return {
    processId,
    id,
    mode,
    current,
    policies,
    location,
    callsPerSec: 0,
    errorsPerSec: 0,
    p50: 0,
    p95: 0,
    p99: 0,
    calls: 0,
    errors: 0,
    inFlight: 0,
    queued: 0,
    limit: null,
    breaker: null,
    history: [],
  };
}
