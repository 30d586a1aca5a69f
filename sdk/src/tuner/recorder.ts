/**
 * Records a task's traffic into a {@link RecordedInterval}: call arrivals and outcomes above the
 * policies, each attempt below them. Attempts are matched to their call by the call's argument
 * array, which every attempt of a call shares (retries and hedges fork the Call, not its
 * arguments). A call touched by chaos injection is dropped whole: injected faults must not count
 * as evidence about the dependency.
 */
import { isInjected } from '../chaos/hook.js';
import type { Clock } from '../clock/clock.js';
import { errorCode } from '../policies/errors.js';
import type { Attempt, Call } from '../task/call.js';
import {
  CENSORED,
  type RecordedAttempt,
  type RecordedCall,
  type RecordedInterval,
} from './recorded-interval.js';

interface Pending {
  call: RecordedCall;
  chaos: boolean;
}

export class IntervalRecorder {
  private calls: RecordedCall[] = [];
  private readonly open = new WeakMap<object, Pending>();
  private start: number;
  private wallStart: number;
  /** Calls dropped because chaos touched them. */
  chaosExcluded = 0;

  constructor(
    private readonly taskId: string,
    private readonly clock: Clock,
    /** Calls kept per interval; later calls are counted by the live stats only. */
    private readonly maxCalls = 5000,
  ) {
    this.start = clock.now();
    this.wallStart = clock.wallNow();
  }

  /** Wraps the attempt below the policies: records each attempt of a call being recorded. */
  below(inner: Attempt): Attempt {
    return (call: Call) => {
      const rec = this.open.get(call.args);
      if (!rec) return inner(call);
      const t0 = this.clock.now();
      const entry: RecordedAttempt = { ms: CENSORED, ok: false };
      rec.call.attempts.push(entry);
      const p = inner(call);
      p.then(
        () => {
          entry.ms = this.clock.now() - t0;
          entry.ok = true;
          if (isInjected(call)) rec.chaos = true;
        },
        (err: unknown) => {
          if (isInjected(call)) rec.chaos = true;
          // Cut by a policy (timeout abort, lost hedge): it never answered; keep it censored.
          if (call.aborted) return;
          entry.ms = this.clock.now() - t0;
          const code = errorCode(err);
          if (code !== undefined) entry.code = code.slice(0, 64);
        },
      );
      return p;
    };
  }

  /** Wraps the call above the policies: records arrival and what the caller saw. */
  above(invoke: Attempt): Attempt {
    return (call: Call) => {
      if (this.admitted >= this.maxCalls) return invoke(call);
      this.admitted++;
      const t0 = this.clock.now();
      const rc: RecordedCall = { at: t0 - this.start, attempts: [], ok: false, ms: 0 };
      const rec: Pending = { call: rc, chaos: false };
      this.open.set(call.args, rec);
      const p = invoke(call);
      p.then(
        () => this.finish(rec, call, true, undefined, t0),
        (err: unknown) => this.finish(rec, call, false, err, t0),
      );
      return p;
    };
  }

  private finish(rec: Pending, call: Call, ok: boolean, err: unknown, t0: number): void {
    this.open.delete(call.args);
    this.finished++;
    if (rec.chaos || isInjected(call)) {
      this.chaosExcluded++;
      return;
    }
    rec.call.ok = ok;
    rec.call.ms = this.clock.now() - t0;
    const code = ok ? undefined : errorCode(err);
    if (code !== undefined) rec.call.code = code.slice(0, 64);
    if (this.calls.length < this.maxCalls) this.calls.push(rec.call);
  }

  /** Calls recorded so far. */
  get size(): number {
    return this.calls.length;
  }

  /**
   * True once `maxCalls` calls were admitted and all of them finished: the interval then holds
   * every call of its span, slow ones included (cutting at the first N to *finish* would drop
   * exactly the slow calls the tuner most needs to see).
   */
  get complete(): boolean {
    return this.admitted >= this.maxCalls && this.finished >= this.admitted;
  }

  private admitted = 0;
  private finished = 0;

  /** The interval so far, and starts a new one. */
  cut(): RecordedInterval {
    const now = this.clock.now();
    const out: RecordedInterval = {
      taskId: this.taskId,
      startedAt: this.wallStart,
      durationMs: now - this.start,
      calls: this.calls.sort((a, b) => a.at - b.at),
    };
    this.calls = [];
    this.admitted = 0;
    this.finished = 0;
    this.start = now;
    this.wallStart = this.clock.wallNow();
    return out;
  }
}
