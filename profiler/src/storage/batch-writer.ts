import {
  openStore,
  type AggregateRow,
  type FoxStore,
  type ProcessRow,
  type SpanRow,
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
  onError?: (err: unknown) => void;
}

export interface WriterCounters {
  aggregatesStored: number;
  spansStored: number;
  spansDropped: number;
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
  private aggregates: AggregateRow[] = [];
  private spans: SpanRow[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly pruneTimer: ReturnType<typeof setInterval>;
  private readonly maxQueuedSpans: number;
  private readonly counters: WriterCounters = {
    aggregatesStored: 0,
    spansStored: 0,
    spansDropped: 0,
    writeErrors: 0,
  };
  private readonly onError: (err: unknown) => void;
  private closed = false;

  constructor(options: BatchWriterOptions) {
    this.store = openStore({ path: options.path });
    this.maxQueuedSpans = options.maxQueuedSpans ?? 50_000;
    this.onError = options.onError ?? (() => {});
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 250);
    this.timer.unref();
    const retentionMs = options.retentionMs;
    this.pruneTimer = setInterval(() => {
      try {
        this.store.prune(retentionMs === undefined ? {} : { olderThanMs: retentionMs });
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

  aggregate(rows: AggregateRow[]): void {
    if (!this.closed) for (const r of rows) this.aggregates.push(r);
  }

  span(rows: SpanRow[]): number {
    if (this.closed) return 0;
    const room = Math.max(0, this.maxQueuedSpans - this.spans.length);
    const take = Math.min(room, rows.length);
    for (let i = 0; i < take; i++) this.spans.push(rows[i]!);
    this.counters.spansDropped += rows.length - take;
    return take;
  }

  flush(): void {
    if (this.closed) return;
    if (this.aggregates.length > 0) {
      const batch = this.aggregates;
      this.aggregates = [];
      try {
        this.store.insertAggregates(batch);
        this.counters.aggregatesStored += batch.length;
      } catch (err) {
        this.fail(err);
      }
    }
    if (this.spans.length > 0) {
      const batch = this.spans;
      this.spans = [];
      try {
        this.store.insertSpans(batch);
        this.counters.spansStored += batch.length;
      } catch (err) {
        this.counters.spansDropped += batch.length;
        this.fail(err);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    this.flush();
    this.closed = true;
    this.store.close();
  }

  private fail(err: unknown): void {
    this.counters.writeErrors++;
    this.onError(err);
  }
}
