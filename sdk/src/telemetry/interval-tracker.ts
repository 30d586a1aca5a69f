import { LatencyHistogram } from './histogram.js';

/** A task's cumulative counters and latency, as the runtime keeps them. */
export interface CumulativeCounts {
  calls: number;
  successes: number;
  errors: number;
  errorsByCode: Readonly<Record<string, number>>;
  latency: LatencyHistogram;
}

/**
 * Turns cumulative per-task telemetry into intervals: each {@link next} returns what happened
 * since the previous call for that task (everything, the first time). The store writer and the
 * profiler exporter each keep one, so their intervals are independent.
 */
export class IntervalTracker {
  private readonly previous = new Map<string, CumulativeCounts>();

  next(taskId: string, now: CumulativeCounts): CumulativeCounts {
    const prev = this.previous.get(taskId);
    this.previous.set(taskId, {
      calls: now.calls,
      successes: now.successes,
      errors: now.errors,
      errorsByCode: { ...now.errorsByCode },
      latency: now.latency.clone(),
    });
    const errorsByCode: Record<string, number> = {};
    for (const [code, n] of Object.entries(now.errorsByCode)) {
      const d = n - (prev?.errorsByCode[code] ?? 0);
      if (d > 0) errorsByCode[code] = d;
    }
    return {
      calls: Math.max(0, now.calls - (prev?.calls ?? 0)),
      successes: Math.max(0, now.successes - (prev?.successes ?? 0)),
      errors: Math.max(0, now.errors - (prev?.errors ?? 0)),
      errorsByCode,
      latency: prev ? now.latency.since(prev.latency) : now.latency.since(new LatencyHistogram()),
    };
  }

  clear(): void {
    this.previous.clear();
  }
}
