import { ulid } from 'ulid';

/**
 * What a running call knows about itself: its task, its run id, its parent call (the span
 * tree), the attempt number and its cancellation signal. Read it with `fox.context()`.
 */
export interface CallContext {
  readonly taskId: string;
  /** ULID of this call, created on first read. */
  readonly runId: string;
  /** The fox call this one runs inside, if any. */
  readonly parent: CallContext | undefined;
  /** 1 for the first attempt; retries count up. */
  readonly attempt: number;
  /**
   * Aborts when the caller's signal aborts or a cooperative timeout fires. Created on first
   * read, so calls that never read it pay nothing for it.
   */
  readonly signal: AbortSignal;
}

/**
 * The state of one call as it goes through the pipeline. Allocated once per call; everything
 * that costs (run id, AbortController) is created only when something asks for it.
 */
export class Call implements CallContext {
  attempt = 1;
  /** Scheduling priority for queued strategies; higher runs first. */
  priority = 0;
  /** Whether this call is recorded as a span (decided at its start, inherited by children). */
  sampled = false;
  private id: string | undefined;
  private controller: AbortController | undefined;

  constructor(
    readonly taskId: string,
    /** `this` of the call (the instance, for decorated methods). */
    readonly self: unknown,
    readonly args: unknown[],
    readonly parent: Call | undefined,
    /** The caller's own signal, when it passed one as the last argument. */
    readonly callerSignal: AbortSignal | undefined,
  ) {}

  get runId(): string {
    return (this.id ??= ulid());
  }

  /** True once the run id has been read (so spans know whether to carry it). */
  get hasRunId(): boolean {
    return this.id !== undefined;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const caller = this.callerSignal;
    // No timeout or other internal reason to abort yet: the caller's signal (or a never-aborting
    // one) is exact and free.
    this.controller = new AbortController();
    if (caller) {
      if (caller.aborted) this.controller.abort(caller.reason);
      else
        caller.addEventListener('abort', () => this.controller!.abort(caller.reason), {
          once: true,
        });
    }
    return this.controller.signal;
  }

  /** True when the call's signal has aborted (caller or internal). Allocates nothing. */
  get aborted(): boolean {
    return this.controller ? this.controller.signal.aborted : (this.callerSignal?.aborted ?? false);
  }

  /** Aborts the call's signal with `reason` (e.g. a cooperative timeout). */
  abort(reason: unknown): void {
    if (!this.controller) this.controller = new AbortController();
    this.controller.abort(reason);
  }
}

/**
 * One step of the pipeline below a layer, as that layer sees it: a policy wraps the attempt
 * made of chaos, the strategy and the user's function; chaos wraps the strategy's run; a
 * strategy is handed the user's function. Every layer takes an `Attempt` and returns one, so
 * they compose without knowing what is below them.
 */
export type Attempt = (call: Call) => Promise<unknown>;

/**
 * Finds a caller-provided AbortSignal: the last argument when it is an AbortSignal, or an
 * options object `{ signal }` in last position (the shape fetch and most Node APIs use).
 */
export function findCallerSignal(args: readonly unknown[]): AbortSignal | undefined {
  const last = args[args.length - 1];
  if (last === null || typeof last !== 'object') return undefined;
  if (last instanceof AbortSignal) return last;
  const signal = (last as { signal?: unknown }).signal;
  return signal instanceof AbortSignal ? signal : undefined;
}
