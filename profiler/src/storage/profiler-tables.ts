import type { CpuFunctionStats, FlowRunFrame, WireChaosReport, WireEvent } from '@fox/sdk/protocol';
import type { GaugePoint } from '../live/view.js';
import { writeRows, type RowRejected, type StoreDb } from './store-adapter.js';

/** One aggregates frame's process gauges. */
export interface GaugeRow extends GaugePoint {
  processId: string;
  /** The exporter's cumulative drop counters at that frame. */
  dropped: Record<string, number>;
}

export interface EventRow {
  processId: string;
  event: WireEvent;
}

/** What the profiler knows of a task in one process beyond the sdk's `tasks` table. */
export interface TaskStateRow {
  processId: string;
  taskId: string;
  mode: string;
  current: string;
  policies: string[];
  breaker: string | null;
}

/** Tags of a sampled span the sdk's `spans` table has no column for. */
export interface SpanTagRow {
  runId: string;
  chaos: string | null;
  errorCode: string | null;
}

/** One function's sampled CPU in one window of one process (a `cpu-profile` frame's entry). */
export interface CpuFunctionRow extends Omit<CpuFunctionStats, 'longestSyncMs'> {
  processId: string;
  /** Window, epoch ms. */
  from: number;
  to: number;
  intervalUs: number;
  /** Null when the producer did not report it. */
  longestSyncMs: number | null;
}

/** The latest `flow-run` frame of one flow run. */
export interface FlowRunRow {
  processId: string;
  run: FlowRunFrame;
}

/**
 * Writes the profiler's own tables (see profiler-schema.ts) and the chaos reports, each batch in
 * one transaction. Synchronous, like the store; callers catch and count failures. With
 * `rejected`, a row the database refuses is handed to it and the rest of the batch commits.
 */
export class ProfilerTables {
  private readonly stmt;

  /** Use `store.use(PROFILER_STORE)` (profiler-schema.ts): it migrates the tables first. */
  constructor(private readonly db: StoreDb) {
    this.stmt = {
      session: db.prepare(
        'INSERT OR IGNORE INTO profiler_sessions (id, started_at, ended_at) VALUES (?, ?, NULL)',
      ),
      endSession: db.prepare('UPDATE profiler_sessions SET ended_at = ? WHERE id = ?'),
      sessionProcess: db.prepare(
        'INSERT OR IGNORE INTO profiler_session_processes (session_id, process_id) VALUES (?, ?)',
      ),
      taskState: db.prepare(
        `INSERT OR REPLACE INTO profiler_task_state (process_id, task_id, mode, current, policies, breaker)
         VALUES (@processId, @taskId, @mode, @current, @policies, @breaker)`,
      ),
      gauge: db.prepare(
        `INSERT OR REPLACE INTO profiler_gauges
           (process_id, at, delay_p50, delay_p99, delay_max, elu, cpu, heap_used, dropped)
         VALUES (@processId, @at, @delayP50, @delayP99, @delayMax, @elu, @cpu, @heapUsedBytes, @dropped)`,
      ),
      event: db.prepare(
        'INSERT INTO profiler_events (process_id, at, kind, event) VALUES (?, ?, ?, ?)',
      ),
      tag: db.prepare(
        'INSERT OR REPLACE INTO profiler_span_tags (run_id, chaos, error_code) VALUES (?, ?, ?)',
      ),
      // The sdk's own table: `fox chaos` reads reports from it too. The process that ran the
      // experiment may already have saved the same report; the experiment id makes that a no-op.
      chaosReport: db.prepare(
        `INSERT OR REPLACE INTO chaos_reports (experiment_id, name, started_at, ended_at, outcome, report)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      recentReports: db.prepare(
        'SELECT report FROM chaos_reports WHERE ended_at >= ? ORDER BY ended_at DESC LIMIT ?',
      ),
      cpuFunction: db.prepare(
        `INSERT OR REPLACE INTO profiler_cpu_functions
           (process_id, window_from, window_to, interval_us, file, line, "column", name,
            self_ms, total_ms, samples, longest_sync_ms)
         VALUES (@processId, @from, @to, @intervalUs, @file, @line, @column, @name,
            @selfMs, @totalMs, @samples, @longestSyncMs)`,
      ),
      // A run's later frame (it ended) replaces its earlier one (it started).
      flowRun: db.prepare(
        `INSERT OR REPLACE INTO profiler_flow_runs
           (run_id, process_id, flow, status, started_at, ended_at, run)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      flowRunById: db.prepare('SELECT process_id, run FROM profiler_flow_runs WHERE run_id = ?'),
      recentFlowRuns: db.prepare(
        `SELECT process_id, run FROM profiler_flow_runs WHERE started_at >= ? AND started_at <= ?
          ORDER BY started_at DESC LIMIT ?`,
      ),
      pruneFlowRuns: db.prepare('DELETE FROM profiler_flow_runs WHERE started_at < ?'),
      pruneCpu: db.prepare('DELETE FROM profiler_cpu_functions WHERE window_to < ?'),
      pruneGauges: db.prepare('DELETE FROM profiler_gauges WHERE at < ?'),
      pruneEvents: db.prepare('DELETE FROM profiler_events WHERE at < ?'),
      pruneSessions: db.prepare(
        'DELETE FROM profiler_sessions WHERE ended_at IS NOT NULL AND ended_at < ?',
      ),
    };
  }

  startSession(id: string, at: number): void {
    this.stmt.session.run(id, Math.round(at));
  }

  endSession(id: string, at: number): void {
    this.stmt.endSession.run(Math.round(at), id);
  }

  /** Call after the process row exists. */
  linkProcess(sessionId: string, processId: string): void {
    this.stmt.sessionProcess.run(sessionId, processId);
  }

  taskStates(rows: readonly TaskStateRow[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (const r of rows) {
        this.stmt.taskState.run({ ...r, policies: JSON.stringify(r.policies) });
      }
    })();
  }

  gauges(rows: readonly GaugeRow[], rejected?: RowRejected<GaugeRow>): void {
    writeRows(
      this.db,
      rows,
      (r) =>
        this.stmt.gauge.run({ ...r, at: Math.round(r.at), dropped: JSON.stringify(r.dropped) }),
      rejected,
    );
  }

  events(rows: readonly EventRow[], rejected?: RowRejected<EventRow>): void {
    writeRows(
      this.db,
      rows,
      (r) => this.stmt.event.run(r.processId, r.event.at, r.event.kind, JSON.stringify(r.event)),
      rejected,
    );
  }

  /** Call after the spans themselves are stored (the tags reference them). */
  spanTags(rows: readonly SpanTagRow[], rejected?: RowRejected<SpanTagRow>): void {
    writeRows(this.db, rows, (r) => this.stmt.tag.run(r.runId, r.chaos, r.errorCode), rejected);
  }

  cpuFunctions(rows: readonly CpuFunctionRow[], rejected?: RowRejected<CpuFunctionRow>): void {
    writeRows(
      this.db,
      rows,
      (r) => this.stmt.cpuFunction.run({ ...r, from: Math.round(r.from), to: Math.round(r.to) }),
      rejected,
    );
  }

  flowRuns(rows: readonly FlowRunRow[], rejected?: RowRejected<FlowRunRow>): void {
    writeRows(
      this.db,
      rows,
      ({ processId, run }) =>
        this.stmt.flowRun.run(
          run.runId,
          processId,
          run.flow,
          run.status,
          run.start,
          run.end ?? null,
          JSON.stringify(run),
        ),
      rejected,
    );
  }

  /** One stored flow run, or undefined. */
  flowRun(runId: string): FlowRunRow | undefined {
    const row = this.stmt.flowRunById.get(runId) as StoredFlowRun | undefined;
    return row ? parseFlowRun(row) : undefined;
  }

  /** Flow runs that started in `[from, to]`, newest first. */
  recentFlowRuns(from: number, to: number, limit: number): FlowRunRow[] {
    const rows = this.stmt.recentFlowRuns.all(from, to, limit) as StoredFlowRun[];
    return rows.flatMap((r) => {
      const row = parseFlowRun(r);
      return row ? [row] : [];
    });
  }

  chaosReports(reports: readonly WireChaosReport[], rejected?: RowRejected<WireChaosReport>): void {
    writeRows(
      this.db,
      reports,
      (r) =>
        this.stmt.chaosReport.run(
          r.experimentId,
          r.name,
          Math.round(r.startedAt),
          Math.round(r.endedAt),
          r.outcome,
          JSON.stringify(r),
        ),
      rejected,
    );
  }

  /** The newest stored reports that ended at or after `since`, newest first. */
  recentChaosReports(since: number, limit: number): WireChaosReport[] {
    return (this.stmt.recentReports.all(Math.round(since), limit) as { report: string }[]).flatMap(
      (r) => {
        try {
          return [JSON.parse(r.report) as WireChaosReport];
        } catch {
          return [];
        }
      },
    );
  }

  /** Deletes gauges, events, CPU windows, flow runs and finished sessions older than `cutoff` (epoch ms). */
  prune(cutoff: number): void {
    this.db.transaction(() => {
      this.stmt.pruneGauges.run(cutoff);
      this.stmt.pruneEvents.run(cutoff);
      this.stmt.pruneCpu.run(cutoff);
      this.stmt.pruneFlowRuns.run(cutoff);
      this.stmt.pruneSessions.run(cutoff);
    })();
  }
}

interface StoredFlowRun {
  process_id: string;
  run: string;
}

function parseFlowRun(row: StoredFlowRun): FlowRunRow | undefined {
  try {
    return { processId: row.process_id, run: JSON.parse(row.run) as FlowRunFrame };
  } catch {
    return undefined;
  }
}
