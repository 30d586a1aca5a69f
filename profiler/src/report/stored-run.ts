import { LatencyHistogram } from '@fox/sdk/telemetry';
import { FlowRunFrameSchema, WireChaosReportSchema, type DropCounters } from '@fox/sdk/protocol';
import { foldFeed } from '../live/feed-fold.js';
import { HOT_FUNCTIONS_PER_PROCESS, hotFunctionRows } from '../live/hot-functions.js';
import { buildTimeline, TIMELINE_ROOTS } from '../live/timeline.js';
import type {
  ChaosReportView,
  FlowRunView,
  GaugePoint,
  HotFunctionView,
  ProcessView,
  ServerToUi,
  TaskView,
  UiState,
} from '../live/view.js';
import type { GaugeRow } from '../storage/profiler-tables.js';
import {
  type SessionReader,
  type StoredInterval,
  type StoredSession,
  type Window,
} from '../storage/session-reader.js';

/** Points per gauge chart and per sparkline in a report (a long run is bucketed down). */
const GAUGE_POINTS = 600;
const SPARK_POINTS = 120;
const FEED_EVENTS = 200;
/** Chaos reports are written when an experiment ends, a moment after its last frame. */
const REPORT_GRACE_MS = 10_000;
/** Flow runs a report carries with their graphs (the newest that started in the run). */
const FLOW_RUNS = 20;

/**
 * The messages a report replays (one `state`, then one `spans` per task), rebuilt from what a
 * profiler run stored: numbers cover the whole run (calls, rates and latency quantiles over all
 * its intervals), charts its whole length. Undefined when the store has no such run.
 */
export function storedRunMessages(
  reader: SessionReader,
  sessionId?: string,
): ServerToUi[] | undefined {
  const session = reader.session(sessionId);
  if (!session) return undefined;
  const w: Window = { from: session.startedAt, to: session.endedAt ?? Date.now() };
  const known = reader.tasks();
  const processes: ProcessView[] = [];
  const tasks: TaskView[] = [];
  const timelines: ServerToUi[] = [];
  const hot: HotFunctionView[] = [];
  let frames = 0;
  for (const p of reader.processes(session.id)) {
    const gauges = reader.gauges(p.id, w);
    frames += gauges.length;
    const last = gauges[gauges.length - 1];
    processes.push({
      ...p,
      connected: false,
      lastSeen: last?.at ?? p.startedAt,
      dropped: dropCounters(last?.dropped),
      missedIntervals: 0,
      rowsRejected: 0,
      gauges: bucketGauges(gauges, GAUGE_POINTS),
    });
    hot.push(...hotFunctionRows(p.id, reader.cpuFunctions(p.id, w, HOT_FUNCTIONS_PER_PROCESS)));
    const states = reader.taskStates(p.id);
    const step = typicalStep(gauges.map((g) => g.at));
    for (const [taskId, intervals] of groupBy(reader.intervals(p.id, w), (i) => i.taskId)) {
      const state = states.get(taskId);
      const stored = known.get(taskId);
      tasks.push({
        processId: p.id,
        id: taskId,
        mode: state?.mode ?? stored?.mode ?? 'sfox',
        current: state?.current ?? stored?.mode ?? 'sfox',
        policies: state?.policies ?? [],
        location: stored?.location ?? null,
        ...runNumbers(intervals, step),
        breaker: (state?.breaker ?? null) as TaskView['breaker'],
      });
      const spans = reader.timelineSpans(p.id, taskId, w, TIMELINE_ROOTS);
      timelines.push({
        type: 'spans',
        processId: p.id,
        taskId,
        spans: buildTimeline(spans, taskId),
      });
    }
  }
  const ids = processes.map((p) => p.id);
  const folded = foldFeed(reader.events(ids, w, 5000, ['proposal', 'chaos']));
  const state: UiState = {
    at: session.endedAt ?? processes.reduce((t, p) => Math.max(t, p.lastSeen), session.startedAt),
    processes,
    tasks: tasks.sort((a, b) => a.id.localeCompare(b.id)),
    events: reader.events(ids, w, FEED_EVENTS),
    collector: {
      // What the report can tell from the file: one gauge row per aggregates frame received.
      framesAccepted: frames,
      framesRejected: 0,
      spansStored: reader.spanCount(ids, w),
      spansDropped: 0,
      connections: 0,
    },
    proposals: folded.proposals,
    chaosRuns: folded.chaosRuns,
    chaosReports: chaosReports(reader, { from: w.from, to: w.to + REPORT_GRACE_MS }),
    ...(hot.length > 0 ? { hotFunctions: hot.sort((a, b) => b.totalMs - a.totalMs) } : {}),
    flowRuns: flowRuns(reader, ids, w),
    report: reportInfo(session),
  };
  return [{ type: 'state', state }, ...timelines];
}

function reportInfo(s: StoredSession): NonNullable<UiState['report']> {
  return { sessionId: s.id, startedAt: s.startedAt, endedAt: s.endedAt };
}

/** Stored runs are checked again: the report page draws only what the wire would accept. */
function flowRuns(reader: SessionReader, ids: readonly string[], w: Window): FlowRunView[] {
  return reader.flowRuns(ids, w, FLOW_RUNS).flatMap(({ processId, run }) => {
    const r = FlowRunFrameSchema.safeParse(run);
    return r.success ? [{ processId, run: r.data }] : [];
  });
}

function chaosReports(reader: SessionReader, w: Window): ChaosReportView[] {
  return reader.chaosReports(w, 50).flatMap((raw) => {
    const r = WireChaosReportSchema.safeParse(raw);
    return r.success ? [{ processId: null, report: r.data }] : [];
  });
}

type RunNumbers = Pick<
  TaskView,
  | 'callsPerSec'
  | 'errorsPerSec'
  | 'p50'
  | 'p95'
  | 'p99'
  | 'calls'
  | 'errors'
  | 'inFlight'
  | 'queued'
  | 'limit'
  | 'history'
>;

/**
 * A task's numbers over the run: totals, rates over the time it reported, and latency quantiles
 * of all its calls (merged histograms; the largest interval quantile when there are none).
 */
export function runNumbers(intervals: readonly StoredInterval[], stepMs: number): RunNumbers {
  const calls = intervals.reduce((n, i) => n + i.calls, 0);
  const errors = intervals.reduce((n, i) => n + i.errors, 0);
  const first = intervals[0];
  const last = intervals[intervals.length - 1];
  const seconds = first && last ? Math.max(stepMs, last.at - first.at + stepMs) / 1000 : 1;
  const merged = new LatencyHistogram();
  let histograms = 0;
  for (const i of intervals) {
    if (i.histogram && i.calls > 0) {
      merged.merge(LatencyHistogram.decode(i.histogram));
      histograms++;
    }
  }
  const busy = intervals.filter((i) => i.calls > 0);
  const worst = (f: (i: StoredInterval) => number) => busy.reduce((m, i) => Math.max(m, f(i)), 0);
  const quantiles =
    histograms > 0
      ? { p50: merged.quantile(0.5), p95: merged.quantile(0.95), p99: merged.quantile(0.99) }
      : { p50: worst((i) => i.p50), p95: worst((i) => i.p90), p99: worst((i) => i.p99) };
  return {
    calls,
    errors,
    callsPerSec: calls / seconds,
    errorsPerSec: errors / seconds,
    ...quantiles,
    inFlight: last?.inFlight ?? 0,
    queued: last?.queued ?? 0,
    limit: last?.limit ?? null,
    history: bucketRates(intervals, stepMs, SPARK_POINTS),
  };
}

/** calls/s per interval, summed into at most `points` buckets. */
function bucketRates(intervals: readonly StoredInterval[], stepMs: number, points: number) {
  const size = Math.max(1, Math.ceil(intervals.length / points));
  const out: number[] = [];
  for (let i = 0; i < intervals.length; i += size) {
    const chunk = intervals.slice(i, i + size);
    out.push(chunk.reduce((n, x) => n + x.calls, 0) / ((chunk.length * stepMs) / 1000));
  }
  return out;
}

/**
 * Gauge rows bucketed to at most `points`: delays keep their worst, utilisation and CPU their
 * mean. Rows without data (null) are left out of a bucket's numbers; a bucket of only such rows
 * has none either.
 */
export function bucketGauges(rows: readonly GaugeRow[], points: number): GaugePoint[] {
  const size = Math.max(1, Math.ceil(rows.length / points));
  const out: GaugePoint[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const c = rows.slice(i, i + size);
    const known = (f: (g: GaugeRow) => number | null) =>
      c.map(f).filter((v): v is number => v !== null);
    const mean = (f: (g: GaugeRow) => number | null) => {
      const v = known(f);
      return v.length === 0 ? null : v.reduce((n, x) => n + x, 0) / v.length;
    };
    const max = (f: (g: GaugeRow) => number | null) => {
      const v = known(f);
      return v.length === 0 ? null : v.reduce((m, x) => Math.max(m, x), 0);
    };
    out.push({
      at: c[c.length - 1]!.at,
      delayP50: mean((g) => g.delayP50),
      delayP99: max((g) => g.delayP99),
      delayMax: max((g) => g.delayMax),
      elu: mean((g) => g.elu),
      cpu: mean((g) => g.cpu),
      heapUsedBytes: c[c.length - 1]!.heapUsedBytes,
    });
  }
  return out;
}

/** The median gap between consecutive instants (the reporting interval), default 1 s. */
function typicalStep(ats: readonly number[]): number {
  const gaps = ats
    .slice(1)
    .map((a, i) => a - ats[i]!)
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 1000;
}

function dropCounters(d: Record<string, number> | undefined): DropCounters {
  return {
    frames: d?.['frames'] ?? 0,
    spans: d?.['spans'] ?? 0,
    events: d?.['events'] ?? 0,
    unconfirmed: d?.['unconfirmed'] ?? 0,
    sampledOut: d?.['sampledOut'] ?? 0,
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
