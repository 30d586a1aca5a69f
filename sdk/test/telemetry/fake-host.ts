import type { StatsSnapshot, TaskStats } from '../../src/protocol/stats.js';
import { TaskCounters } from '../../src/telemetry/task-counters.js';
import type { WireEvent } from '../../src/protocol/wire.js';
import type { ExporterHost, ExporterTaskInfo } from '../../src/telemetry/exporter.js';
import { LatencyHistogram } from '../../src/telemetry/histogram.js';

/** An {@link ExporterHost} whose tasks are driven by the test. */
export class FakeHost implements ExporterHost {
  readonly processId = '01JTESTPROCESS0000000000000';
  readonly projectRoot = '/project';
  readonly infos: ExporterTaskInfo[] = [];
  readonly counts = new Map<string, { calls: number; errors: number; latency: LatencyHistogram }>();
  private eventListeners: ((e: WireEvent) => void)[] = [];

  addTask(id: string): void {
    this.infos.push({
      id,
      mode: 'sfox',
      current: 'sfox',
      policies: [],
      location: { file: '/project/src/a.ts', line: 3, column: 14 },
    });
    this.counts.set(id, { calls: 0, errors: 0, latency: new LatencyHistogram() });
  }

  call(id: string, ms: number, ok = true): void {
    const c = this.counts.get(id)!;
    c.calls++;
    if (!ok) c.errors++;
    c.latency.record(ms);
  }

  emit(e: WireEvent): void {
    for (const l of this.eventListeners) l(e);
  }

  tasks(): ExporterTaskInfo[] {
    return this.infos;
  }

  relativePath(file: string): string {
    return file.replace('/project/', '');
  }

  histogram(id: string): LatencyHistogram | undefined {
    return this.counts.get(id)?.latency;
  }

  onEvent(listener: (e: WireEvent) => void) {
    this.eventListeners.push(listener);
    return {
      dispose: () => (this.eventListeners = this.eventListeners.filter((l) => l !== listener)),
    };
  }

  stats(): StatsSnapshot {
    return {
      at: Date.now(),
      process: {
        pid: process.pid,
        uptimeMs: 1000,
        eventLoopDelay: { p50: 1, p99: 2, max: 3 },
        eventLoopUtilization: 0.5,
        cpu: 0.2,
        heapUsedBytes: 1e6,
        rssBytes: 2e6,
      },
      tasks: this.infos.map((t): TaskStats => {
        const c = this.counts.get(t.id)!;
        return {
          id: t.id,
          mode: t.mode,
          current: t.current,
          calls: c.calls,
          successes: c.calls - c.errors,
          errors: c.errors,
          errorsByCode: c.errors ? { Error: c.errors } : {},
          latency: {
            count: c.latency.count,
            mean: c.latency.mean,
            p50: c.latency.quantile(0.5),
            p90: c.latency.quantile(0.9),
            p99: c.latency.quantile(0.99),
            max: c.latency.max,
          },
          inFlight: 0,
          queued: 0,
          limit: null,
          counters: new TaskCounters().snapshot(),
        };
      }),
    };
  }
}
