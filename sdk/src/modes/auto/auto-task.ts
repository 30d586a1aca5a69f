import type { ConcreteMode } from '../../protocol/modes.js';

/**
 * What auto reads and changes of the task it decides for. The pipeline's `Task` satisfies it;
 * auto depends on this shape instead, so the strategy layer imports nothing from the pipeline
 * that composes it.
 */
export interface AutoTask {
  readonly id: string;
  /** The mode the task runs in now. */
  readonly current: ConcreteMode;
  /** Switches the task's strategy (resolves once calls run in `mode`). */
  setStrategy(mode: ConcreteMode): Promise<void>;
  readonly metrics: AutoTaskCounters;
}

/** The task's call counters auto reads (TaskMetrics in telemetry/). */
export interface AutoTaskCounters {
  /** Calls started. */
  readonly calls: number;
  readonly successes: number;
  readonly errors: number;
  readonly inFlight: number;
  /** Time with at least one call in flight, ms, once {@link trackBusyTime} was called. */
  busyTime(): number;
  trackBusyTime(): void;
}
