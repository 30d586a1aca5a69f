import type { WireChaosReport } from '@fox/sdk/protocol';
import { useProfilerStore } from './profiler-schema.js';
import {
  type ProfilerTables,
  type CpuFunctionRow,
  type EventRow,
  type FlowRunRow,
  type GaugeRow,
  type SpanTagRow,
  type TaskStateRow,
} from './profiler-tables.js';
import {
  openStore,
  type AggregateRow,
  type FoxStore,
  type ProcessRow,
  type SpanRow,
  type RowRejected,
  type TaskRow,
} from './store-adapter.js';

export interface BatchWriterOptions {
  /** SQLite file (WAL). `':memory:'` for tests. */
  path: string;
  /** How often queued rows are written. Default 250 ms. */
  flushMs?: number;
  /** Rows queued before new spans are dropped (aggregates are never dropped). Default 50 000. */
  maxQueuedSpans?: number;
  /** Delete data older than this. Default: the store's retention (7 days). */
  retentionMs?: number;
  /** How often to prune. Default 60 s. */
  pruneEveryMs?: number;
  /**
   * Records a profiler run under this id: the processes it sees and its start and end, so a
   * report can be rebuilt from the file later. Default: none.
   */
  sessionId?: string;
  onError?: (err: unknown) => void;
  /**
   * A row of this process that the database refused (a value its column cannot hold). The
   * row is left out and counted; the other rows of its batch, and other processes' rows, are
   * stored all the same.
   */
  onRowRejected?: (processId: string, table: string, err: unknown) => void;
}

/** Rows of the profiler's own tables waiting for the next flush. */
interface Queues {
  spanTags: SpanTagRow[];
  gauges: GaugeRow[];
  events: EventRow[];
  reports: WireChaosReport[];
  cpu: CpuFunctionRow[];
  flowRuns: FlowRunRow[];
}

export interface WriterCounters {
  aggregatesStored: number;
  spansStored: number;
  spansDropped: number;
  eventsDropped: number;
  /** CPU function rows stored, and dropped because too many were waiting. */
  cpuRowsStored: number;
  cpuRowsDropped: number;
  /** Rows the database refused one by one (see {@link BatchWriterOptions.onRowRejected}). */
  rowsRejected: number;
  /** Batches that failed as a whole (disk, lock): their rows were not stored. */
  writeErrors: number;
}

/**
 * Queues telemetry rows and writes them in batches (one transaction per kind per flush), so
 * ingest never waits on SQLite per frame. Processes and tasks are written at once, because
 * aggregates and spans reference them. WAL plus one transaction per batch means a `kill -9`
 * loses at most the rows still queued, never the file.
 */
export class BatchWriter {
  readonly store: FoxStore;
  readonly tables: ProfilerTables;
  private aggregates: AggregateRow[] = [];
  /** Run once the queued aggregates (and their gauges) have committed: the exporter's acks. */
  private committed: (() => void)[] = [];
  private spans: SpanRow[] = [];
  private queued: Queues = {
    spanTags: [],
    gauges: [],
    events: [],
    reports: [],
    cpu: [],
    flowRuns: [],
  };
  private readonly sessionId: string | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly pruneTimer: ReturnType<typeof setInterval>;
  private readonly maxQueuedSpans: number;
  private readonly counters: WriterCounters = {
    aggregatesStored: 0,
    spansStored: 0,
    spansDropped: 0,
    eventsDropped: 0,
    cpuRowsStored: 0,
    cpuRowsDropped: 0,
    rowsRejected: 0,
    writeErrors: 0,
  };
  private readonly onError: (err: unknown) => void;
  private readonly onRowRejected: NonNullable<BatchWriterOptions['onRowRejected']>;
  private closed = false;

  constructor(options: BatchWriterOptions) {
    this.store = openStore({ path: options.path });
    try {
      this.tables = useProfilerStore(this.store).tables;
      this.sessionId = options.sessionId;
      if (this.sessionId !== undefined) this.tables.startSession(this.sessionId, Date.now());
    } catch (err) {
      this.store.close();
      throw err;
    }
    this.maxQueuedSpans = options.maxQueuedSpans ?? 50_000;
    this.onError = options.onError ?? (() => {});
    this.onRowRejected = options.onRowRejected ?? (() => {});
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 250);
    this.timer.unref();
    const retentionMs = options.retentionMs;
    this.pruneTimer = setInterval(() => {
      try {
        const olderThanMs = retentionMs ?? this.store.retentionMs();
        this.store.prune({ olderThanMs });
        this.tables.prune(Date.now() - olderThanMs);
      } catch (err) {
        this.fail(err);
      }
    }, options.pruneEveryMs ?? 60_000);
    this.pruneTimer.unref();
  }

  stats(): WriterCounters {
    return { ...this.counters };
  }

  /** Written now: later rows reference it. */
  process(row: ProcessRow): void {
    if (this.closed) return;
    try {
      // Queued rows may reference tasks of the previous hello; write them first.
      this.flush();
      this.store.upsertProcess(row);
      if (this.sessionId !== undefined) this.tables.linkProcess(this.sessionId, row.id);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Written now: later rows reference them. */
  tasks(rows: TaskRow[]): void {
    if (this.closed || rows.length === 0) return;
    try {
      this.store.upsertTasks(rows);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Written now (rare: on hello and when a task's strategy or breaker changes). */
  taskStates(rows: TaskStateRow[]): void {
    if (this.closed || rows.length === 0) return;
    try {
      this.tables.taskStates(rows);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Queues one aggregates frame: its task rows and its process gauges (never dropped).
   * `onCommitted` runs after the flush that stores them commits — not if it fails — so an
   * acknowledgement sent from it means the rows are on disk (as far as WAL + NORMAL go).
   */
  aggregate(rows: AggregateRow[], gauge: GaugeRow, onCommitted?: () => void): void {
    if (this.closed) return;
    for (const r of rows) this.aggregates.push(r);
    this.queued.gauges.push(gauge);
    if (onCommitted) this.committed.push(onCommitted);
  }

  /** Events beyond `maxQueuedSpans` waiting rows are dropped and counted, like spans. */
  events(rows: EventRow[]): void {
    if (this.closed) return;
    const queue = this.queued.events;
    const take = Math.min(rows.length, Math.max(0, this.maxQueuedSpans - queue.length));
    for (let i = 0; i < take; i++) queue.push(rows[i]!);
    this.counters.eventsDropped += rows.length - take;
  }

  /** CPU rows beyond `maxQueuedSpans` waiting rows are dropped and counted, like spans. */
  cpuFunctions(rows: CpuFunctionRow[]): void {
    if (this.closed) return;
    const queue = this.queued.cpu;
    const take = Math.min(rows.length, Math.max(0, this.maxQueuedSpans - queue.length));
    for (let i = 0; i < take; i++) queue.push(rows[i]!);
    this.counters.cpuRowsDropped += rows.length - take;
  }

  /** Flow runs beyond `maxQueuedSpans` waiting rows are dropped and counted as events. */
  flowRun(row: FlowRunRow): void {
    if (this.closed) return;
    if (this.queued.flowRuns.length < this.maxQueuedSpans) this.queued.flowRuns.push(row);
    else this.counters.eventsDropped++;
  }

  chaosReport(report: WireChaosReport): void {
    if (!this.closed) this.queued.reports.push(report);
  }

  /** Queues spans (and the tags of those that have any); returns how many were taken. */
  span(rows: SpanRow[], tags: ReadonlyMap<string, SpanTagRow> = new Map()): number {
    if (this.closed) return 0;
    const room = Math.max(0, this.maxQueuedSpans - this.spans.length);
    const take = Math.min(room, rows.length);
    for (let i = 0; i < take; i++) {
      const row = rows[i]!;
      this.spans.push(row);
      const tag = tags.get(row.runId);
      if (tag) this.queued.spanTags.push(tag);
    }
    this.counters.spansDropped += rows.length - take;
    return take;
  }

  flush(): void {
    if (this.closed) return;
    const committed = this.committed;
    this.committed = [];
    let stored = true;
    if (this.aggregates.length > 0) {
      const batch = this.aggregates;
      this.aggregates = [];
      let rejected = 0;
      try {
        this.store.insertAggregates(batch, (row, err) => {
          rejected++;
          this.reject(row.processId, 'aggregates', err);
        });
        this.counters.aggregatesStored += batch.length - rejected;
      } catch (err) {
        stored = false;
        this.fail(err);
      }
    }
    if (this.spans.length > 0) {
      const batch = this.spans;
      this.spans = [];
      let rejected = 0;
      try {
        this.store.insertSpans(batch, (row, err) => {
          rejected++;
          this.reject(row.processId, 'spans', err);
        });
        this.counters.spansStored += batch.length - rejected;
        this.counters.spansDropped += rejected;
      } catch (err) {
        this.counters.spansDropped += batch.length;
        this.fail(err);
      }
    }
    // After the spans: tags reference them.
    this.drain('spanTags', 'profiler_span_tags', (rows, rejected) =>
      this.tables.spanTags(rows, rejected),
    );
    stored =
      this.drain('gauges', 'profiler_gauges', (rows, rejected) =>
        this.tables.gauges(rows, rejected),
      ) && stored;
    this.drain('events', 'profiler_events', (rows, rejected) => this.tables.events(rows, rejected));
    this.drain('flowRuns', 'profiler_flow_runs', (rows, rejected) =>
      this.tables.flowRuns(rows, rejected),
    );
    this.drain('reports', 'chaos_reports', (rows, rejected) =>
      this.tables.chaosReports(rows, rejected),
    );
    const cpuRows = this.queued.cpu.length;
    let cpuRejected = 0;
    if (
      this.drain('cpu', 'profiler_cpu_functions', (rows, rejected) =>
        this.tables.cpuFunctions(rows, (row, err) => {
          cpuRejected++;
          rejected(row, err);
        }),
      )
    ) {
      this.counters.cpuRowsStored += cpuRows - cpuRejected;
    } else this.counters.cpuRowsDropped += cpuRows;
    // A batch that failed whole is not acknowledged: the exporter sends those frames again.
    if (stored) for (const done of committed) done();
  }

  /** Writes one queue; false when the batch failed as a whole (rejected rows do not count). */
  private drain<K extends keyof Queues>(
    queue: K,
    table: string,
    write: (rows: Queues[K], rejected: RowRejected<Queues[K][number]>) => void,
  ): boolean {
    const batch = this.queued[queue];
    if (batch.length === 0) return true;
    this.queued = { ...this.queued, [queue]: [] };
    try {
      write(batch, (row, err) => this.reject(processOf(row), table, err));
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private reject(processId: string | undefined, table: string, err: unknown): void {
    this.counters.rowsRejected++;
    if (processId !== undefined) this.onRowRejected(processId, table, err);
  }

  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    this.flush();
    this.closed = true;
    try {
      if (this.sessionId !== undefined) this.tables.endSession(this.sessionId, Date.now());
    } catch (err) {
      this.fail(err);
    }
    this.store.close();
  }

  private fail(err: unknown): void {
    this.counters.writeErrors++;
    this.onError(err);
  }
}

/** The process a queued row belongs to (a chaos report names none). */
function processOf(row: Queues[keyof Queues][number]): string | undefined {
  return 'processId' in row ? row.processId : undefined;
}
