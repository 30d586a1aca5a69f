import { isInjected, type ChaosHook } from '../chaos/hook.js';
import type { Clock } from '../clock/clock.js';
import {
  canTrackTree,
  currentCall,
  enterSampledRoot,
  leaveSampledRoot,
  runAs,
} from '../context/run-context.js';
import { FoxShutdownError } from '../errors/errors.js';
import { Emitter, type Disposable } from '../events/emitter.js';
import type { Strategy } from '../modes/strategy.js';
import { buildPolicies, type PolicyChain } from '../policies/index.js';
import type { ConcreteMode, Mode } from '../protocol/modes.js';
import type { TaskStats } from '../protocol/stats.js';
import { callOutcome } from '../telemetry/call-outcome.js';
import type { SpanSink } from '../telemetry/exporter.js';
import type { CallTracer } from '../telemetry/open-telemetry.js';
import type { SpanGate } from '../telemetry/span-sampler.js';
import { TaskMetrics, errorCode } from '../telemetry/task-metrics.js';
import { Call, findCallerSignal, type Attempt } from './call.js';
import type { SourceLocation } from './call-site.js';
import type { ResolvedOptions } from './options.js';
import { makeInputCheck, makeOutputCheck } from './schema-check.js';

/** What `fox.tasks()` reports for each registered task. */
export interface TaskInfo {
  id: string;
  /** The mode the task was declared with. */
  mode: Mode;
  /** The strategy running it now (what auto chose, or an approved switch). */
  current: ConcreteMode;
  /** Names of the resilience policies applied, outermost first. */
  policies: string[];
  /** Where the task was defined, in the original source (1-based). */
  location: { file: string; line: number; column: number } | undefined;
}

/** What a task needs from the runtime around it. */
export interface TaskHost {
  readonly clock: Clock;
  readonly closed: boolean;
  createStrategy(mode: ConcreteMode, task: Task): Strategy;
}

type UserFunction = (this: unknown, ...args: unknown[]) => unknown;

/** The tuner's hook on a task's call path (see `Task.setTuning`). */
export interface TuningHook {
  /** The per-call path from the attempt below the policies and the task's chain. */
  compose(attempt: Attempt, chain: PolicyChain | undefined): Attempt;
}

/**
 * A registered fox task: its identity, its resolved options, its telemetry, and the pipeline
 * its calls go through. Options are resolved once, here; the per-call path only runs what the
 * options asked for.
 */
export class Task {
  readonly metrics: TaskMetrics;
  private strategy: Strategy;
  private chain: PolicyChain | undefined;
  /** The composed pipeline below input validation: policies → strategy → user function. */
  private invoke!: (call: Call) => unknown;
  private readonly checkInput: ((args: unknown[]) => unknown[] | Promise<unknown[]>) | undefined;
  private readonly checkOutput: ((value: unknown) => unknown) | undefined;
  private readonly priorityOf: ((args: unknown[]) => number) | undefined;
  /** Whether calls look for a caller AbortSignal (only when something can use it). */
  private watchSignal = false;
  /** Set while a profiler is connected (recordSpans): which calls become spans, where they go. */
  private spanGate: SpanGate | undefined;
  private spanSink: SpanSink | undefined;
  private readonly strategyChanged = new Emitter<{ from: ConcreteMode; to: ConcreteMode }>();
  /** Fires when the task switches strategy at run time. */
  readonly onStrategyChange = this.strategyChanged.event;
  /**
   * The Chaos Forge's injection point while an experiment targets this task. It is woven into
   * the pipeline by compose(), not tested per call, so an untargeted task pays nothing.
   */
  private chaosHook: ChaosHook | undefined;
  /** Turns each call into an OpenTelemetry span while the program has a tracer provider. */
  private tracer: CallTracer | undefined;
  /** The tuner's composition of the call path while it records or runs a canary. */
  private tuningHook: TuningHook | undefined;

  constructor(
    readonly id: string,
    private readonly fn: UserFunction,
    readonly options: ResolvedOptions & { mode: Mode },
    readonly location: SourceLocation | undefined,
    private readonly host: TaskHost,
  ) {
    this.metrics = new TaskMetrics(() => host.clock.now());
    this.checkInput = options.input ? makeInputCheck(id, options.input) : undefined;
    this.checkOutput = options.output ? makeOutputCheck(id, options.output) : undefined;
    const priority = options.priority;
    this.priorityOf =
      typeof priority === 'function'
        ? (args) => (priority as (...a: unknown[]) => number)(...args)
        : priority !== undefined
          ? () => priority
          : undefined;
    this.chain = buildPolicies(options, {
      taskId: id,
      clock: host.clock,
      latencyPercentile: (p) =>
        this.metrics.latency.count > 0 ? this.metrics.latency.quantile(p / 100) : undefined,
    });
    // Disposed with the chain (its dispose drops every listener).
    if (this.chain) this.metrics.counters.listen(this.chain.events);
    this.strategy = host.createStrategy(this.initialMode(), this);
    this.compose();
  }

  private initialMode(): ConcreteMode {
    const mode = this.options.mode;
    return mode === 'auto' ? 'sfox' : mode;
  }

  /** The strategy running calls now. */
  get current(): ConcreteMode {
    return this.strategy.mode;
  }

  get policyChain(): PolicyChain | undefined {
    return this.chain;
  }

  /** The strategy running calls now (its limiter, for wfox). */
  get currentStrategy(): Strategy {
    return this.strategy;
  }

  /**
   * Switches the strategy at run time (auto, or an approved change). Calls already running
   * finish under the old strategy, which is closed once they have.
   */
  async setStrategy(mode: ConcreteMode): Promise<void> {
    if (mode === this.strategy.mode) return;
    const old = this.strategy;
    this.strategy = this.host.createStrategy(mode, this);
    this.compose();
    this.strategyChanged.fire({ from: old.mode, to: mode });
    await this.drained(old);
    await old.close();
  }

  /** Installs (or, with undefined, removes) a chaos experiment's hook on this task. */
  setChaos(hook: ChaosHook | undefined): void {
    if (hook === this.chaosHook) return;
    this.chaosHook = hook;
    this.compose();
  }

  get chaos(): ChaosHook | undefined {
    return this.chaosHook;
  }

  /**
   * Installs (or, with undefined, removes) the tuner's hook: it composes the call path from the
   * attempt below the policies and the task's own chain (to record, or to route a canary share
   * through a shadow chain). Woven in like chaos; a task without one pays nothing.
   */
  setTuning(hook: TuningHook | undefined): void {
    if (hook === this.tuningHook) return;
    this.tuningHook = hook;
    this.compose();
  }

  /** Installs (or removes) the OpenTelemetry bridge; woven in like chaos, not tested per call. */
  setTracer(tracer: CallTracer | undefined): void {
    if (tracer === this.tracer) return;
    this.tracer = tracer;
    this.compose();
  }

  /**
   * Records sampled calls as spans: `gate` decides which calls are sampled, `sink` receives
   * them. Disposing the result stops recording (when no later recorder has replaced this one).
   * The telemetry wiring calls it while a profiler is connected.
   */
  recordSpans(gate: SpanGate, sink: SpanSink): Disposable {
    this.spanGate = gate;
    this.spanSink = sink;
    return {
      dispose: () => {
        if (this.spanGate !== gate || this.spanSink !== sink) return;
        this.spanGate = undefined;
        this.spanSink = undefined;
      },
    };
  }

  /** Resolves once a strategy that receives no new calls has nothing running or queued. */
  private drained(strategy: Strategy): Promise<void> {
    const idle = () => {
      const g = strategy.gauges();
      return g.inFlight === 0 && g.queued === 0;
    };
    if (idle()) return Promise.resolve();
    return new Promise((resolve) => {
      const poll = () => {
        if (idle()) resolve();
        else this.host.clock.setTimeout(poll, 5).unref?.();
      };
      poll();
    });
  }

  private compose(): void {
    const fn = this.fn;
    // The innermost step: run the user's function as the current call, so fox calls it makes
    // before its first await see this call as their parent.
    const runUser = (call: Call): unknown => runAs(call, invokeUser);
    const invokeUser = (call: Call): unknown => fn.apply(call.self, call.args);
    const strategy = this.strategy;
    const chaos = this.chaosHook;
    const tracer = this.tracer;
    const counters = this.metrics.counters;
    if (strategy.mode === 'sfox' && !this.chain && !chaos && !this.tuningHook) {
      // sfox without policies: nothing to admit, nothing to wrap; every call is one attempt.
      const attemptUser = (call: Call): unknown => {
        counters.attempts++;
        return runAs(call, invokeUser);
      };
      this.invoke = tracer ? tracer.wrap(this, attemptUser) : attemptUser;
      this.watchSignal = false;
      return;
    }
    const toPromise: Attempt = (call) => {
      try {
        return Promise.resolve(runUser(call));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const run: Attempt =
      strategy.mode === 'sfox' ? toPromise : (call) => strategy.run(call, toPromise);
    // Chaos sits at the guard point of each attempt: inside the policies (so retry, fallback
    // and the breaker react to injected faults as they would to real ones), around the strategy.
    const guarded = chaos ? chaos.wrap(run) : run;
    // Counted below the policies: an attempt a policy refused never gets here.
    const attempt: Attempt = (call) => {
      counters.attempts++;
      return guarded(call);
    };
    const invoke = this.tuningHook
      ? this.tuningHook.compose(attempt, this.chain)
      : this.chain
        ? this.chain.wrap(attempt)
        : attempt;
    this.invoke = tracer ? tracer.wrap(this, invoke) : invoke;
    this.watchSignal = true;
  }

  /**
   * Runs one call of the task. This is the hot path: it hands back the pipeline's own promise
   * (no extra promise or await hop for the caller) and records the outcome in a reaction
   * attached to it; untimed calls share two pre-bound reactions, so they allocate no closures.
   */
  call(self: unknown, args: unknown[]): Promise<unknown> {
    if (this.host.closed) return Promise.reject(new FoxShutdownError());
    return this.checkInput ? this.callChecked(self, args, this.checkInput) : this.run(self, args);
  }

  private async callChecked(
    self: unknown,
    args: unknown[],
    checkInput: (args: unknown[]) => unknown[] | Promise<unknown[]>,
  ): Promise<unknown> {
    try {
      args = await checkInput(args);
    } catch (err) {
      this.metrics.refused(err);
      throw err;
    }
    return this.run(self, args);
  }

  private run(self: unknown, args: unknown[]): Promise<unknown> {
    const metrics = this.metrics;
    let call: Call;
    let start: number;
    let result: unknown;
    try {
      call = new Call(
        this.id,
        self,
        args,
        currentCall(),
        this.watchSignal ? findCallerSignal(args) : undefined,
      );
      if (this.priorityOf) call.priority = this.priorityOf(args);
      // Without a profiler this is one field check; with one, the sampler decides at the start
      // so a sampled parent's children are sampled too (complete trees). A sampled root turns
      // on tracking across awaits for its lifetime (see run-context.ts), within a time budget.
      const gate = this.spanGate;
      if (gate !== undefined) {
        call.sampled = call.parent?.sampled ? gate.admitChild() : canTrackTree() && gate.admit();
      }
      start = metrics.shouldTime() || call.sampled ? this.host.clock.now() : -1;
    } catch (err) {
      return Promise.reject(err);
    }
    if (call.sampled && !call.parent?.sampled) enterSampledRoot();
    metrics.start(start);
    try {
      result = this.invoke(call);
    } catch (err) {
      this.failed(call, start, err);
      return Promise.reject(err);
    }
    let settled = result instanceof Promise ? result : Promise.resolve(result);
    if (this.checkOutput) settled = settled.then(this.checkOutput);
    if (start < 0) settled.then(this.untimedSuccess, this.untimedFailure);
    else
      settled.then(
        () => this.succeeded(call, start),
        (err: unknown) => this.failed(call, start, err),
      );
    return settled;
  }

  private readonly untimedSuccess = (): void => this.metrics.success(-1);
  private readonly untimedFailure = (err: unknown): void => this.metrics.failure(-1, err);

  private succeeded(call: Call, start: number): void {
    const end = this.host.clock.now();
    const ms = end - start;
    this.metrics.success(ms, end);
    if (call.sampled) this.endSpan(call, start, ms, undefined);
  }

  private failed(call: Call, start: number, err: unknown): void {
    const end = start < 0 ? -1 : this.host.clock.now();
    const ms = start < 0 ? -1 : end - start;
    this.metrics.failure(ms, err, end);
    if (call.sampled) this.endSpan(call, start, ms, err);
  }

  /** A sampled call ended: a root's end may let tracking across awaits stop; record it. */
  private endSpan(call: Call, start: number, ms: number, error: unknown): void {
    if (!call.parent?.sampled) leaveSampledRoot();
    const code = error === undefined ? undefined : errorCode(error);
    this.spanSink?.record({
      runId: call.runId,
      parentRunId: call.parent?.sampled ? call.parent.runId : null,
      taskId: this.id,
      start: performance.timeOrigin + start,
      duration: Math.max(0, ms),
      outcome: code === undefined ? 'ok' : callOutcome(code),
      attempt: call.attempt,
      strategy: this.strategy.mode,
      ...(code === undefined ? {} : { errorCode: code }),
      ...(this.chaosHook && isInjected(call) ? { chaos: this.chaosHook.experimentId } : {}),
    });
  }

  info(): TaskInfo {
    const loc = this.location;
    return {
      id: this.id,
      mode: this.options.mode,
      current: this.strategy.mode,
      policies: this.chain ? this.chain.policies.map((p) => p.name) : [],
      location: loc ? { file: loc.file, line: loc.line, column: loc.column } : undefined,
    };
  }

  stats(): TaskStats {
    const m = this.metrics;
    const h = m.latency;
    const gauges = this.strategy.gauges();
    return {
      id: this.id,
      mode: this.options.mode,
      current: this.strategy.mode,
      calls: m.calls,
      successes: m.successes,
      errors: m.errors,
      errorsByCode: Object.fromEntries(m.errorsByCode),
      latency: {
        count: h.count,
        mean: h.mean,
        p50: h.quantile(0.5),
        p90: h.quantile(0.9),
        p99: h.quantile(0.99),
        max: h.max,
      },
      inFlight: m.inFlight,
      queued: gauges.queued,
      limit: gauges.limit,
      counters: m.counters.snapshot(),
    };
  }

  async close(): Promise<void> {
    await this.strategy.close();
    this.chain?.dispose();
    this.strategyChanged.clear();
  }
}
