import { aggregateRowOf } from '@fox/sdk/store';
import type { AggregateRecord, AggregateRow } from '@fox/sdk/store';
import type { CpuFunctionStats, SpanRecord, WireEvent } from '@fox/sdk/protocol';
import type { ProcessRow, StoreDb } from './store-adapter.js';
import type { GaugeRow, TaskStateRow } from './profiler-tables.js';

/** A `fox profile` run (or any profiler lifetime) recorded in the store. */
export interface StoredSession {
  id: string;
  startedAt: number;
  /** Null when the profiler never closed cleanly (killed); the data up to then is there. */
  endedAt: number | null;
}

/** One task's interval as the profiler received it (an aggregates row). */
export type StoredInterval = AggregateRow;

export interface StoredTask {
  id: string;
  mode: string;
  location: { file: string; line: number; column: number } | null;
}

/** One function's stored CPU, summed per (file, line) over a window. */
export interface StoredCpuFunction extends CpuFunctionStats {
  /** Windows in which the function was sampled. */
  windows: number;
}

/** Time window, epoch ms, both ends included. */
export interface Window {
  from: number;
  to: number;
}

/**
 * Reads what one profiler run stored: the sdk's tables (processes, tasks, aggregates, spans,
 * chaos reports) and the profiler's own (see profiler-schema.ts), limited to the run's window
 * and the processes it saw. Read-only; all SQL of the report lives here.
 */
export class SessionReader {
  constructor(private readonly db: StoreDb) {}

  /** The run with this id, or the latest run when no id is given. */
  session(id?: string): StoredSession | undefined {
    const row = (
      id === undefined
        ? this.db
            .prepare('SELECT * FROM profiler_sessions ORDER BY started_at DESC, id DESC LIMIT 1')
            .get()
        : this.db.prepare('SELECT * FROM profiler_sessions WHERE id = ?').get(id)
    ) as { id: string; started_at: number; ended_at: number | null } | undefined;
    return row && { id: row.id, startedAt: row.started_at, endedAt: row.ended_at };
  }

  processes(sessionId: string): ProcessRow[] {
    const rows = this.db
      .prepare(
        `SELECT p.* FROM processes p
           JOIN profiler_session_processes sp ON sp.process_id = p.id
          WHERE sp.session_id = ? ORDER BY p.started_at DESC`,
      )
      .all(sessionId) as {
      id: string;
      pid: number;
      started_at: number;
      argv: string;
      node_version: string;
      project_root: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      pid: r.pid,
      startedAt: r.started_at,
      argv: parseJson<string[]>(r.argv, []),
      nodeVersion: r.node_version,
      projectRoot: r.project_root,
    }));
  }

  gauges(processId: string, w: Window): GaugeRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM profiler_gauges WHERE process_id = ? AND at BETWEEN ? AND ? ORDER BY at`,
      )
      .all(processId, w.from, w.to) as {
      process_id: string;
      at: number;
      delay_p50: number | null;
      delay_p99: number | null;
      delay_max: number | null;
      elu: number | null;
      cpu: number | null;
      heap_used: number;
      dropped: string;
    }[];
    return rows.map((r) => ({
      processId: r.process_id,
      at: r.at,
      delayP50: r.delay_p50,
      delayP99: r.delay_p99,
      delayMax: r.delay_max,
      elu: r.elu,
      cpu: r.cpu,
      heapUsedBytes: r.heap_used,
      dropped: parseJson<Record<string, number>>(r.dropped, {}),
    }));
  }

  /**
   * The intervals the profiler received from this process, oldest first. The program may write
   * its own aggregates to the same file (`fox.configure({ store })`), on its own clock: only rows
   * at the instant of an aggregates frame the profiler stored (a gauge row) are this run's, so
   * the two are never counted twice.
   */
  intervals(processId: string, w: Window): StoredInterval[] {
    const rows = this.db
      .prepare(
        `SELECT a.* FROM aggregates a
           JOIN profiler_gauges g ON g.process_id = a.process_id AND g.at = a.at
          WHERE a.process_id = ? AND a.at BETWEEN ? AND ?
          ORDER BY a.at`,
      )
      .all(processId, w.from, w.to) as AggregateRecord[];
    return rows.map(aggregateRowOf);
  }

  taskStates(processId: string): Map<string, TaskStateRow> {
    const rows = this.db
      .prepare('SELECT * FROM profiler_task_state WHERE process_id = ?')
      .all(processId) as {
      process_id: string;
      task_id: string;
      mode: string;
      current: string;
      policies: string;
      breaker: string | null;
    }[];
    return new Map(
      rows.map((r) => [
        r.task_id,
        {
          processId: r.process_id,
          taskId: r.task_id,
          mode: r.mode,
          current: r.current,
          policies: parseJson<string[]>(r.policies, []),
          breaker: r.breaker,
        },
      ]),
    );
  }

  tasks(): Map<string, StoredTask> {
    const rows = this.db
      .prepare('SELECT id, mode, source_file, line, "column" FROM tasks')
      .all() as {
      id: string;
      mode: string;
      source_file: string | null;
      line: number | null;
      column: number | null;
    }[];
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          mode: r.mode,
          location:
            r.source_file === null
              ? null
              : { file: r.source_file, line: r.line ?? 0, column: r.column ?? 0 },
        },
      ]),
    );
  }

  /** Events of these processes in the window, oldest first; `kinds` limits the kinds. */
  events(
    processIds: readonly string[],
    w: Window,
    limit: number,
    kinds?: readonly string[],
  ): { processId: string; event: WireEvent }[] {
    if (processIds.length === 0) return [];
    const ids = processIds.map(() => '?').join(', ');
    const kindFilter = kinds ? `AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare(
        `SELECT process_id, event FROM (
           SELECT seq, process_id, event FROM profiler_events
            WHERE process_id IN (${ids}) AND at BETWEEN ? AND ? ${kindFilter}
            ORDER BY at DESC, seq DESC LIMIT ?)
         ORDER BY seq`,
      )
      .all(...processIds, w.from, w.to, ...(kinds ?? []), limit) as {
      process_id: string;
      event: string;
    }[];
    return rows.flatMap((r) => {
      const event = parseJson<WireEvent | undefined>(r.event, undefined);
      return event ? [{ processId: r.process_id, event }] : [];
    });
  }

  /** Raw `flow-run` frames of these processes' runs started in the window, newest first. */
  flowRuns(
    processIds: readonly string[],
    w: Window,
    limit: number,
  ): { processId: string; run: unknown }[] {
    if (processIds.length === 0) return [];
    const ids = processIds.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT process_id, run FROM profiler_flow_runs
          WHERE process_id IN (${ids}) AND started_at BETWEEN ? AND ?
          ORDER BY started_at DESC LIMIT ?`,
      )
      .all(...processIds, w.from, w.to, limit) as { process_id: string; run: string }[];
    return rows.flatMap((r) => {
      const run = parseJson<unknown>(r.run, undefined);
      return run === undefined ? [] : [{ processId: r.process_id, run }];
    });
  }

  /** Raw report JSON of experiments that ended in the window, newest first. */
  chaosReports(w: Window, limit: number): unknown[] {
    const rows = this.db
      .prepare(
        'SELECT report FROM chaos_reports WHERE ended_at BETWEEN ? AND ? ORDER BY ended_at DESC LIMIT ?',
      )
      .all(Math.floor(w.from), Math.ceil(w.to), limit) as { report: string }[];
    return rows.flatMap((r) => {
      const v = parseJson<unknown>(r.report, undefined);
      return v === undefined ? [] : [v];
    });
  }

  /**
   * Sampled CPU of one process per source function, summed over the windows that ended inside
   * `w` (see `CpuFunctionView` in the live layer for the meaning of each field), busiest first.
   */
  cpuFunctions(processId: string, w: Window, limit = 500): StoredCpuFunction[] {
    return this.db
      .prepare(
        `SELECT file, line, MIN("column") AS "column", MIN(name) AS name,
                SUM(self_ms) AS selfMs, SUM(total_ms) AS totalMs, SUM(samples) AS samples,
                MAX(COALESCE(longest_sync_ms, 0)) AS longestSyncMs, COUNT(*) AS windows
           FROM profiler_cpu_functions
          WHERE process_id = ? AND window_to BETWEEN ? AND ?
          GROUP BY file, line
          ORDER BY totalMs DESC
          LIMIT ?`,
      )
      .all(processId, w.from, w.to, limit) as StoredCpuFunction[];
  }

  spanCount(processIds: readonly string[], w: Window): number {
    if (processIds.length === 0) return 0;
    const ids = processIds.map(() => '?').join(', ');
    const row = this.db
      .prepare(
        `SELECT count(*) AS n FROM spans WHERE process_id IN (${ids}) AND start BETWEEN ? AND ?`,
      )
      .get(...processIds, w.from, w.to) as { n: number };
    return row.n;
  }

  /**
   * The last `roots` calls of a task in the window and every span of the process that started
   * while they ran (their children are among them), start order: the timeline's input.
   */
  timelineSpans(processId: string, taskId: string, w: Window, roots: number): SpanRecord[] {
    const select = `SELECT s.*, t.chaos, t.error_code FROM spans s
      LEFT JOIN profiler_span_tags t ON t.run_id = s.run_id`;
    const last = this.db
      .prepare(
        `${select} WHERE s.task_id = ? AND s.process_id = ? AND s.start BETWEEN ? AND ?
          ORDER BY s.start DESC LIMIT ?`,
      )
      .all(taskId, processId, w.from, w.to, roots) as SpanSqlRow[];
    if (last.length === 0) return [];
    const from = Math.min(...last.map((r) => r.start));
    const to = Math.max(...last.map((r) => r.start + r.duration));
    const around = this.db
      .prepare(
        `${select} WHERE s.process_id = ? AND s.start BETWEEN ? AND ? AND s.task_id <> ?
          ORDER BY s.start LIMIT 20000`,
      )
      .all(processId, from, to, taskId) as SpanSqlRow[];
    return [...last.reverse(), ...around].map(toSpanRecord).sort((a, b) => a.start - b.start);
  }
}

interface SpanSqlRow {
  run_id: string;
  parent_run_id: string | null;
  task_id: string;
  start: number;
  duration: number;
  outcome: string;
  attempt: number;
  strategy: string;
  chaos: string | null;
  error_code: string | null;
}

function toSpanRecord(r: SpanSqlRow): SpanRecord {
  return {
    runId: r.run_id,
    parentRunId: r.parent_run_id,
    taskId: r.task_id,
    start: r.start,
    duration: r.duration,
    outcome: r.outcome as SpanRecord['outcome'],
    attempt: r.attempt,
    strategy: r.strategy as SpanRecord['strategy'],
    ...(r.chaos === null ? {} : { chaos: r.chaos }),
    ...(r.error_code === null ? {} : { errorCode: r.error_code }),
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
