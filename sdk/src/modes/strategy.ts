import type { ConcreteMode } from '../protocol/modes.js';
import type { Attempt, Call } from '../task/call.js';

// The pipeline runs input check → tracing → policies → chaos → strategy → the user's function:
// a strategy is the last layer before the function, so the `Attempt` it is handed is the user's
// function alone. `Attempt` is defined with `Call` in task/ because every layer shares it.
export type { Attempt };

/** Live gauges a strategy reports to telemetry. */
export interface StrategyGauges {
  /** Calls currently admitted (running) under this strategy. */
  inFlight: number;
  /** Calls waiting for admission. */
  queued: number;
  /** Current concurrency limit, or null when the strategy has none. */
  limit: number | null;
}

/**
 * How a call runs (the "mode"). One interface, one implementation per mode; the task's
 * pipeline hands every attempt to the strategy in use now, so a task can switch strategy at
 * run time without being re-decorated.
 */
export interface Strategy {
  readonly mode: ConcreteMode;
  /** Runs one attempt under this strategy and settles with its outcome. */
  run(call: Call, attempt: Attempt): Promise<unknown>;
  gauges(): StrategyGauges;
  /** Releases threads, timers and queues. Queued calls reject with FoxShutdownError. */
  close(): Promise<void>;
}
