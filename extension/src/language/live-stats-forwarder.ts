import type { CpuFunctionStats } from '@fox/sdk/protocol';
import type { ProposalView, TaskView, UiState } from '@fox/profiler';
import type { LiveStatsMethod, LiveStatsParams, LiveTask } from '@fox/language-server';

/** The notification the language server listens to (the type checks the spelling). */
export const LIVE_STATS_METHOD: LiveStatsMethod = 'fox/liveStats';

/** Intervals kept per task for the server's burst detection (about two minutes at 1/s). */
const MAX_INTERVALS = 120;

/** A CPU aggregate as the profiler's `cpuFunctions()` returns it. */
export type CpuFunctionLike = CpuFunctionStats;

/** Per task: cumulative calls/errors seen at the previous tick, and the interval deltas. */
interface TaskSeries {
  calls: number;
  errors: number;
  intervals: { calls: number; errors: number }[];
}

export interface ForwarderOptions {
  /** Sends the notification (the language client's `sendNotification`); false: not running. */
  send(method: LiveStatsMethod, params: LiveStatsParams): boolean | Promise<boolean>;
  /** Where the numbers come from, for the server's messages ("live from the debug session"). */
  label(): string;
  /** The Fox output channel: says once where the numbers go, and when that changes. */
  log(message: string): void;
  /** Least time between two pushes, ms (default 1000). */
  minIntervalMs?: number;
  now?: () => number;
}

/**
 * Feeds the language server from the editor's in-process profiler: on each profiler tick,
 * per-task aggregates summed over the processes that run a task, pushed as `fox/liveStats`
 * when they changed and at most once per `minIntervalMs`. Without a store this is the only
 * way the code lens and hover get numbers.
 */
export class LiveStatsForwarder {
  private lastSent = -Infinity;
  private lastKey = '';
  private lastLabel: string | undefined;
  private readonly series = new Map<string, TaskSeries>();

  constructor(private readonly options: ForwarderOptions) {}

  /** One profiler tick. Returns the params it sent, if it sent any (for tests). */
  async tick(
    state: UiState | undefined,
    run: { runId?: string; cpu?: readonly CpuFunctionLike[] } = {},
  ): Promise<LiveStatsParams | undefined> {
    if (!state || state.tasks.length === 0) return undefined;
    const now = this.options.now?.() ?? Date.now();
    const tasks = liveTasks(state, this.series);
    const key = JSON.stringify([tasks, run.cpu?.length ?? 0, run.cpu?.[0]?.totalMs]);
    if (key === this.lastKey) return undefined;
    if (now - this.lastSent < (this.options.minIntervalMs ?? 1000)) return undefined;
    const label = this.options.label();
    const params: LiveStatsParams = {
      v: 1,
      at: now,
      source: { label, ...(run.runId ? { runId: run.runId } : {}) },
      tasks,
      ...(run.cpu?.length ? { functions: run.cpu.map(cpuRecord) } : {}),
    };
    let delivered: boolean;
    try {
      delivered = await this.options.send(LIVE_STATS_METHOD, params);
    } catch {
      delivered = false;
    }
    if (!delivered) return undefined;
    this.lastSent = now;
    this.lastKey = key;
    if (label !== this.lastLabel) {
      this.lastLabel = label;
      this.options.log(
        `language server: code lens and hover numbers ${label} (${tasks.length} task(s))`,
      );
    }
    return params;
  }
}

function cpuRecord(c: CpuFunctionLike): NonNullable<LiveStatsParams['functions']>[number] {
  const { file, line, column, name, selfMs, totalMs, samples, longestSyncMs } = c;
  return {
    file,
    line: Math.max(1, line),
    column: Math.max(1, column),
    name,
    selfMs,
    totalMs,
    samples,
    longestSyncMs,
  };
}

/**
 * One entry per task id over every process: counts summed; quantiles from the process with
 * the most calls (quantiles do not add up, and the busiest process is the best estimate);
 * the window from the earliest of those processes' start to the state's time.
 */
export function liveTasks(state: UiState, series: Map<string, TaskSeries> = new Map()): LiveTask[] {
  const byId = new Map<string, TaskView[]>();
  for (const t of state.tasks) byId.set(t.id, [...(byId.get(t.id) ?? []), t]);
  const started = new Map(state.processes.map((p) => [p.id, p.startedAt]));
  const out: LiveTask[] = [];
  for (const [id, views] of byId) {
    const calls = views.reduce((a, v) => a + v.calls, 0);
    const errors = views.reduce((a, v) => a + v.errors, 0);
    if (calls === 0) continue;
    const main = views.reduce((a, v) => (v.calls > a.calls ? v : a));
    const codes: Record<string, number> = {};
    for (const v of views)
      for (const [c, n] of Object.entries(v.errorsByCode ?? {})) codes[c] = (codes[c] ?? 0) + n;
    // The first sight of a task is a baseline: what happened before is not one interval.
    const s = series.get(id) ?? { calls, errors, intervals: [] };
    // A restarted process resets its counters: start the series over instead of going negative.
    if (calls >= s.calls && errors >= s.errors) {
      if (calls > s.calls) s.intervals.push({ calls: calls - s.calls, errors: errors - s.errors });
    } else s.intervals.length = 0;
    if (s.intervals.length > MAX_INTERVALS)
      s.intervals.splice(0, s.intervals.length - MAX_INTERVALS);
    s.calls = calls;
    s.errors = errors;
    series.set(id, s);
    const from = Math.min(...views.map((v) => started.get(v.processId) ?? state.at));
    const latency = main.latency && main.latency.count > 0 ? main.latency : undefined;
    const running = runningOf(main, state.proposals ?? []);
    out.push({
      id,
      mode: main.mode,
      current: main.current,
      p50: latency?.p50 ?? main.p50,
      // The run-long summary has no p95; the last interval's would not match its p50/p99.
      ...(latency ? {} : { p95: main.p95 }),
      p99: latency?.p99 ?? main.p99,
      calls,
      errors,
      ...(Object.keys(codes).length ? { errorsByCode: codes } : {}),
      ...(s.intervals.length ? { intervals: [...s.intervals] } : {}),
      window: { from: Math.min(from, state.at), to: state.at },
      ...(running ? { running } : {}),
    });
  }
  return out;
}

/**
 * What the runtime runs the task with, for the server to compare with the source: the policy
 * parameters the exporter reports (after `configure()` or an approved change), the strategy an
 * approved switch set (`current` ≠ declared mode, `auto` excepted), and the latest approved or
 * applied proposal about the task (the audit trail behind them).
 */
function runningOf(
  t: TaskView,
  proposals: readonly ProposalView[],
): LiveTask['running'] | undefined {
  const params = t.running ?? {};
  const switched = t.mode !== 'auto' && t.current !== t.mode;
  if (!switched && Object.keys(params).length === 0) return undefined;
  const applied = proposals
    .filter((p) => p.taskId === t.id && (p.state === 'applied' || p.state === 'approved'))
    .sort((a, b) => b.at - a.at)[0];
  return {
    ...params,
    ...(switched ? { mode: t.current } : {}),
    ...(applied ? { approval: approvalOf(applied) } : {}),
  };
}

/** The approval behind a running change, as the hover cites it (approver, audit entry). */
function approvalOf(p: ProposalView): NonNullable<NonNullable<LiveTask['running']>['approval']> {
  return {
    proposalId: p.proposalId,
    summary: p.summary,
    at: p.at,
    ...(p.approvers?.length ? { approver: p.approvers.join(', ').slice(0, 128) } : {}),
    ...(p.auditId !== undefined ? { auditId: p.auditId } : {}),
  };
}
