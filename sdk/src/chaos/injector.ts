import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { FoxTimeoutError } from '../errors/errors.js';
import type { Attempt } from '../task/call.js';
import type { Experiment, Fault, Target } from './experiment.js';
import { markInjected, type ChaosHook } from './hook.js';
import { injectedError } from './injected-error.js';
import { SeededRandom } from './rng.js';
import { taskMatcher } from '../task/task-glob.js';

export type Phase = 'before' | 'during' | 'after';

/** One measured attempt of a targeted task. `injected` tags samples taken under a fault. */
export interface ChaosSample {
  taskId: string;
  phase: Phase;
  ok: boolean;
  ms: number;
  injected: boolean;
}

interface Step {
  fault: Fault;
  target: Target;
  matches: (taskId: string) => boolean;
  affected: number;
  concurrent: number;
}

/** The injection decision for one call, as recorded for replay checks. */
export interface Decision {
  taskId: string;
  /** Index of the method step whose fault was injected, or -1. */
  step: number;
  /** Latency drawn, for latency faults. */
  delayMs?: number;
}

const MiB = 1024 * 1024;
const MAX_SAMPLES = 200_000;
const MAX_DECISIONS = 100_000;

/**
 * The live state of one experiment run: which calls get which fault. All randomness comes from
 * the experiment's seed (decisions and fault parameters on separate streams), so the same seed
 * and the same order of calls give the same injections. `stop()` makes every later decision
 * "no fault" at once, cuts pending delays short and frees held memory.
 */
export class FaultInjector {
  private readonly decide: SeededRandom;
  private readonly params: SeededRandom;
  private readonly steps: Step[];
  /** Injection phase start (monotonic ms), undefined before it. */
  private injectFrom: number | undefined;
  phase: Phase = 'before';
  /** False once stopped: no fault is injected after this flips. */
  private active = true;
  readonly samples: ChaosSample[] = [];
  readonly decisions: Decision[] = [];
  private readonly timers = new Set<{
    timer: TimerHandle;
    release: () => void;
  }>();
  private readonly held = new Set<Buffer>();
  heldBytes = 0;
  affected = 0;
  /** Monotonic time injection stopped (-1 while it runs). */
  stoppedAt = -1;
  /** Monotonic time the last fault was handed out. */
  lastInjectionAt = -1;
  /**
   * Called on every targeted attempt during injection, with the time. The forge uses it to run
   * its probes from the call path too (rate-limited), so an abort does not wait for a timer
   * that a busy event loop runs late.
   */
  onActivity: ((now: number) => void) | undefined;

  constructor(
    readonly experimentId: string,
    readonly experiment: Experiment,
    /** Time for samples, held memory and injected delays (not for CPU burn: see 'cpu'). */
    private readonly clock: Clock = systemClock,
  ) {
    const root = new SeededRandom(experiment.seed);
    this.decide = root.fork(1);
    this.params = root.fork(2);
    this.steps = experiment.method.map((m) => ({
      fault: m.fault,
      target: m.target,
      matches: taskMatcher(m.target.tasks),
      affected: 0,
      concurrent: 0,
    }));
  }

  /** True when any method step targets the task. */
  targets(taskId: string): boolean {
    return this.steps.some((s) => s.matches(taskId));
  }

  startInjecting(): void {
    this.injectFrom = this.clock.now();
    this.phase = 'during';
  }

  /** Ends injection (and cuts in-flight delays short, frees memory). Idempotent. */
  stop(): void {
    if (this.active) this.stoppedAt = this.clock.now();
    this.active = false;
    if (this.phase === 'during') this.phase = 'after';
    for (const t of this.timers) {
      this.clock.clearTimeout(t.timer);
      t.release();
    }
    this.timers.clear();
    this.held.clear();
    this.heldBytes = 0;
  }

  get injecting(): boolean {
    return this.active && this.phase === 'during';
  }

  /** Caps per step, for tests and the report. */
  stepCounters(): { affected: number; concurrent: number }[] {
    return this.steps.map((s) => ({ affected: s.affected, concurrent: s.concurrent }));
  }

  /** The hook to install on a task: measures every attempt, injects per the method. */
  hookFor(taskId: string): ChaosHook {
    const steps = this.steps.filter((s) => s.matches(taskId));
    const indexOf = new Map(steps.map((s) => [s, this.steps.indexOf(s)]));
    return {
      experimentId: this.experimentId,
      wrap: (inner: Attempt): Attempt => {
        return (call) => {
          const t0 = this.clock.now();
          const chosen = this.pick(taskId, steps, indexOf);
          const phase = this.phase;
          if (chosen === undefined) return this.measure(taskId, phase, false, t0, inner(call));
          markInjected(call);
          const step = chosen.step;
          step.concurrent++;
          const settled = this.apply(step.fault, chosen.delayMs, inner, call).finally(
            () => void step.concurrent--,
          );
          return this.measure(taskId, phase, true, t0, settled);
        };
      },
    };
  }

  private pick(
    taskId: string,
    steps: Step[],
    indexOf: Map<Step, number>,
  ): { step: Step; delayMs: number } | undefined {
    if (!this.active || this.phase !== 'during' || this.injectFrom === undefined) return undefined;
    const now = this.clock.now();
    this.onActivity?.(now);
    if (!this.active) return undefined; // the probe just aborted
    const elapsed = now - this.injectFrom;
    let chosen: Step | undefined;
    for (const s of steps) {
      // One draw per step per call whatever the outcome, so caps and windows do not shift
      // the sequence of later decisions.
      const u = this.decide.next();
      if (chosen) continue;
      const t = s.target;
      if (u >= t.rate) continue;
      if (t.window && (elapsed < t.window.afterMs || elapsed > t.window.afterMs + t.window.forMs))
        continue;
      if (t.maxAffected !== undefined && s.affected >= t.maxAffected) continue;
      if (t.maxConcurrent !== undefined && s.concurrent >= t.maxConcurrent) continue;
      chosen = s;
    }
    const decision: Decision = { taskId, step: chosen ? indexOf.get(chosen)! : -1 };
    if (chosen) {
      chosen.affected++;
      this.affected++;
      this.lastInjectionAt = this.clock.now();
      if (chosen.fault.type === 'latency') decision.delayMs = this.drawDelay(chosen.fault);
    }
    if (this.decisions.length < MAX_DECISIONS) this.decisions.push(decision);
    return chosen ? { step: chosen, delayMs: decision.delayMs ?? 0 } : undefined;
  }

  private drawDelay(f: Extract<Fault, { type: 'latency' }>): number {
    if (f.ms !== undefined) return f.ms;
    if (f.range) return f.range.min + this.params.next() * (f.range.max - f.range.min);
    const d = f.distribution!;
    const u = this.params.next();
    switch (d.kind) {
      case 'exponential':
        return -d.mean * Math.log(1 - u);
      case 'normal': {
        const v = this.params.next();
        const n = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
        return Math.max(0, d.mean + d.stddev * n);
      }
      case 'lognormal': {
        const v = this.params.next();
        const n = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
        const m = Math.max(d.mean, 1e-9);
        const sigma2 = Math.log(1 + (d.stddev * d.stddev) / (m * m));
        return Math.exp(Math.log(m) - sigma2 / 2 + Math.sqrt(sigma2) * n);
      }
    }
  }

  private async apply(
    fault: Fault,
    delayMs: number,
    inner: Attempt,
    call: Parameters<Attempt>[0],
  ): Promise<unknown> {
    switch (fault.type) {
      case 'latency':
        await this.sleep(delayMs);
        return inner(call);
      case 'error':
        throw injectedError(fault);
      case 'timeout':
        await this.sleep(fault.ms);
        throw new FoxTimeoutError(fault.ms, call.taskId);
      case 'io': {
        const err = new Error(
          `${fault.code}: chaos: injected I/O failure, ${fault.syscall}`,
        ) as NodeJS.ErrnoException & { chaos: true };
        err.code = fault.code;
        err.syscall = fault.syscall;
        err.errno = -5;
        err.chaos = true;
        throw err;
      }
      case 'cpu': {
        let left = fault.ms;
        while (left > 0 && this.active) {
          const slice = Math.min(left, fault.sliceMs);
          // Real time, not the injected clock: the fault is CPU actually burnt, and a fake
          // clock that nobody ticks would never end the loop.
          const end = performance.now() + slice;
          while (performance.now() < end) {
            // Busy-wait: the point is to hold the event loop.
          }
          left -= slice;
          if (left > 0) await new Promise<void>((r) => setImmediate(r));
        }
        return inner(call);
      }
      case 'memory': {
        const buf = Buffer.alloc(Math.round(fault.mb * MiB), 1);
        this.held.add(buf);
        this.heldBytes += buf.length;
        const release = () => {
          if (this.held.delete(buf)) this.heldBytes -= buf.length;
        };
        const entry = {
          timer: this.clock.setTimeout(() => (release(), this.timers.delete(entry)), fault.holdMs),
          release,
        };
        entry.timer.unref?.();
        this.timers.add(entry);
        return inner(call);
      }
    }
  }

  /** Resolves after `ms`, or at once when injection stops. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || !this.active) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: this.clock.setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        release: resolve,
      };
      this.timers.add(entry);
    });
  }

  private measure(
    taskId: string,
    phase: Phase,
    injected: boolean,
    t0: number,
    p: Promise<unknown>,
  ): Promise<unknown> {
    return p.then(
      (v) => {
        this.record(taskId, phase, injected, true, t0);
        return v;
      },
      (err: unknown) => {
        this.record(taskId, phase, injected, false, t0);
        throw err;
      },
    );
  }

  private record(taskId: string, phase: Phase, injected: boolean, ok: boolean, t0: number): void {
    if (this.samples.length >= MAX_SAMPLES) return;
    this.samples.push({ taskId, phase, ok, ms: this.clock.now() - t0, injected });
  }
}
