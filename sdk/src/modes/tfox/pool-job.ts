import type { TransferListItem } from 'node:worker_threads';
import type { TimerHandle } from '../../clock/clock.js';
import { CallFlag } from './protocol.js';

/** A call's flags on the wire: an AbortSignal placeholder is in its arguments. */
export const FLAG_SIGNAL = CallFlag.Signal;
/** A call's flags on the wire: report its own loop and wall time (auto mode's evidence). */
export const FLAG_MEASURE = CallFlag.Measure;

/** What a worker needs to find a task's function: its module and how to look it up. */
export interface WorkerFunction {
  readonly index: number;
  readonly taskId: string;
  readonly moduleUrl: string;
  /** `file:line:column` of the decoration: the worker's copy of fox records functions by it. */
  readonly locationKey: string;
  /** Export path to try when the decoration was not recorded (e.g. `{ module }` points elsewhere). */
  readonly names: readonly string[];
}

/**
 * One call on its way through the pool. The caller's side subclasses it: `settle` is a method
 * rather than a callback so that a call in flight is one object, not an object and a closure.
 */
export abstract class PoolJob {
  /** Set by `submit`. */
  id = 0;
  /** Index of the job in its worker's send order (1-based); 0 while queued. */
  wseq = 0;
  /** The pool's record of the worker it was sent to (opaque outside the pool). */
  slot: object | undefined;
  state: 'queued' | 'sent' | 'settled' | 'abandoned' = 'queued';
  graceTimer: TimerHandle | undefined;

  constructor(
    readonly fn: WorkerFunction,
    readonly args: unknown[],
    /** FLAG_SIGNAL, FLAG_MEASURE. */
    readonly flags: number,
    readonly transfer: TransferListItem[] | undefined,
  ) {}

  /**
   * Called once with the outcome, never from inside `submit`. `syncMs`/`wallMs`: how long the
   * call held its worker's event loop and how long it took there, for FLAG_MEASURE calls
   * (-1 otherwise).
   */
  abstract settle(ok: boolean, value: unknown, syncMs: number, wallMs: number): void;
}
