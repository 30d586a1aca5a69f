import type { MessagePort } from 'node:worker_threads';
import { currentCall } from '../context/run-context.js';
import { FoxConfigError } from '../errors/errors.js';
import { createFlowBuilder, type FlowBuilder, type FlowOptions } from '../flow/index.js';
import { decoratedMemberAt } from './decorated-member.js';
import {
  AutoController,
  autoControllerOf,
  autoSources,
  registerAutoController,
  staticHint,
} from '../modes/auto/index.js';
import { io, type FoxIo } from '../modes/mfox/index.js';
import { WORKER_TARGET, locationKey, move, type WorkerTarget } from '../modes/tfox/index.js';
import { AdaptiveLimiter, WfoxStrategy } from '../modes/wfox/index.js';
import type { PolicyChain } from '../policies/index.js';
import type { StatsSnapshot, TaskStats } from '../protocol/stats.js';
import type { Generation } from '../tuner/lineage-store.js';
import type { TaskTunerStatus } from '../tuner/task-tuner.js';
import type { TuneOptionInput } from '../policies/tune-options.js';
import type { CallContext } from '../task/call.js';
import { captureCallSite, readOriginalSource, type SourceLocation } from '../task/call-site.js';
import { resolveOptions, type FoxOptions, type ResolvedOptions } from '../task/options.js';
import type { Mode } from '../protocol/modes.js';
import { formatTaskId, parseTaskId } from '../protocol/task-id.js';
import { bindingNameAt, enclosingClassAt, offsetOf } from '../task/task-id.js';
import { Task, type TaskInfo } from '../task/task.js';
import type { RuntimeConfig } from './config.js';
import { runtime } from './runtime.js';
import { startFoxWorker, type FoxWorker, type FoxWorkerOptions } from './dfox/fox-worker.js';

/** The function `fox(options, fn)` returns: same parameters, always a promise. */
export type Foxed<A extends unknown[], R, This = unknown> = (
  this: This,
  ...args: A
) => Promise<Awaited<R>>;

type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => R;

/**
 * `@fox(options)`: works with TypeScript 5 standard decorators and with
 * `experimentalDecorators`. Decorated methods must return a promise (fox calls are async).
 */
export interface FoxDecorator {
  <This, A extends unknown[], R extends PromiseLike<unknown>>(
    value: AsyncMethod<This, A, R>,
    context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
  ): AsyncMethod<This, A, R>;
  <T extends (...args: never[]) => PromiseLike<unknown>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void;
}

/**
 * A live handle on one task, for code that tunes it at run time (the tuner, the guardian, a
 * user's admin endpoint). Changes go through the same validation as decoration.
 */
export interface TaskHandle {
  readonly id: string;
  info(): TaskInfo;
  stats(): TaskStats;
  /**
   * The wfox concurrency limiter now in use (`limit`, `inFlight`, `queued`,
   * `configure(partial)`, `onLimitChange`), or undefined for other strategies.
   */
  readonly limiter: AdaptiveLimiter | undefined;
  /** The task's resilience policies (`policies.get('retry')?.configure({ attempts: 5 })`). */
  readonly policies: PolicyChain | undefined;
}

/** Marks functions returned by fox, so tools can find the task behind them. */
export const FOX_TASK: unique symbol = Symbol.for('fox.task');

/** The user's own function behind a fox function: what a dfox worker runs for a job. */
export const FOX_ORIGINAL: unique symbol = Symbol.for('fox.original');

export interface FoxApi {
  /**
   * Runs `fn` under Fox: `fox({ mode: 'sfox' }, async function parse(s: string) { … })`.
   * Options are validated now (FoxConfigError names the bad option); the returned function has
   * `fn`'s parameters and always returns a promise.
   */
  <A extends unknown[], R, This = unknown>(
    options: FoxOptions,
    fn: (this: This, ...args: A) => R,
  ): Foxed<A, R, This>;
  /** `@fox(options)` method decorator. */
  (options?: FoxOptions): FoxDecorator;

  /** The registered tasks. */
  tasks(): TaskInfo[];
  /** A live handle on one task, by id or by the function fox returned; undefined if unknown. */
  task(idOrFunction: string | ((...args: never[]) => unknown)): TaskHandle | undefined;
  /** A typed telemetry snapshot of every task and the process. */
  stats(): StatsSnapshot;
  /** Process-wide settings: project root, store, async context. Validated; throws FoxConfigError. */
  configure(config: RuntimeConfig): void;
  /**
   * The tuner (`fox.configure({ store: true, tune: true })`): each tuned task's phase, genome and
   * running experiment, its lineage, and pause/resume per task.
   */
  readonly tuner: FoxTunerApi;
  /** Flushes telemetry, closes strategies and the store. New calls reject with FoxShutdownError. */
  shutdown(): Promise<void>;
  /**
   * Marks an ArrayBuffer, typed array or MessagePort to be moved (transferred, not copied) when
   * it crosses to or from a tfox worker: `await resize(fox.move(pixels), 640)`. The sender
   * loses access to it. Returns the value unchanged.
   */
  /** I/O helpers that run in mfox lanes: `fetch`, `readFile(s)`, `chunks`, `lines`, `hashFile`. */
  readonly io: FoxIo;
  move<T extends ArrayBuffer | ArrayBufferView | MessagePort>(value: T): T;
  /**
   * The call running now (task id, run id, parent, attempt, signal), or undefined outside a
   * fox call. Before the function's first `await` this is always exact; after an await it
   * needs `fox.configure({ asyncContext: true })` (see run-context.ts for why).
   */
  context(): CallContext | undefined;
  /**
   * Runs dfox jobs of `queues` in this process: `await fox.worker({ queues: ['images'] })`.
   * Tasks are found by task id under `root` (default cwd), checked against the caller's code
   * hash, and run here; `close()` stops taking jobs. Needs bullmq (an optional peer).
   */
  worker(options: FoxWorkerOptions): Promise<FoxWorker>;
  /**
   * Declares a flow: a typed graph of nodes (fox tasks or plain functions) with dependencies,
   * validated when built (`FoxConfigError` for duplicates, unknown names, cycles), run as
   * parallel as dependencies allow. `I` is the run's input type. See {@link FlowBuilder}.
   *
   * @example
   * const flow = fox.flow<{ id: string }>('order')
   *   .node('user', (_, { input }) => getUser(input.id))
   *   .node('cart', { needs: ['user'] }, ({ user }) => getCart(user))
   *   .build();
   * const { results } = await flow.run({ id: 'o1' });
   */
  flow<I = void>(name: string, options?: FlowOptions): FlowBuilder<I>;
}

/**
 * Inside a tfox worker the bootstrap installs this map before importing a task's module: the
 * decoration then records the plain function by its call site (so the worker finds it by
 * identity among the module's exports) and returns it unwrapped, so the worker runs it directly.
 */
const WORKER_REGISTRY = Symbol.for('fox.tfox.worker');
function workerRegistry(): Map<string, unknown> | undefined {
  return (globalThis as { [WORKER_REGISTRY]?: Map<string, unknown> })[WORKER_REGISTRY];
}

function foxImpl(options?: FoxOptions, fn?: (...args: never[]) => unknown): unknown {
  const location = captureCallSite(foxImpl);
  const inWorker = workerRegistry();
  if (inWorker) {
    const key = locationKey(location);
    // Two functions decorated at one call site (a factory helper) cannot be told apart by it:
    // null makes the worker fall back to the export name.
    const record = (value: unknown): void => {
      inWorker.set(key, inWorker.has(key) && inWorker.get(key) !== value ? null : value);
    };
    if (fn !== undefined) {
      record(fn);
      return fn;
    }
    return function foxDecoratorInWorker(target: unknown, key2: unknown, d?: PropertyDescriptor) {
      if (isStandardContext(key2)) {
        record(target);
        return target;
      }
      if (d) record(d.value);
      return d;
    };
  }
  if (fn !== undefined) {
    if (typeof fn !== 'function') {
      throw new FoxConfigError([], `fox(options, fn): fn must be a function, got ${typeof fn}`);
    }
    const resolved = namingTask(
      () => resolveOptions(options),
      () => explicitId(options) ?? tryTaskId(() => functionTaskId(location, fn)),
    );
    const id = resolved.id ?? functionTaskId(location, fn);
    const name = resolved.id === undefined ? (parseTaskId(id)?.name ?? fn.name) : fn.name;
    const opts = withTarget(resolved, { names: [name || fn.name] });
    return wrap(makeTask(id, fn, opts, location), fn);
  }
  // Validate now, at decoration, even though the task is created when the decorator applies.
  const resolved = namingTask(
    () => resolveOptions(options),
    () => explicitId(options) ?? decoratedTaskId(location),
  );
  return function foxDecorator(
    target: unknown,
    key: unknown,
    descriptor?: PropertyDescriptor,
  ): unknown {
    if (isStandardContext(key)) {
      if (key.kind !== 'method') {
        throw new FoxConfigError([], `@fox() decorates methods; it was applied to a ${key.kind}`);
      }
      const method = String(key.name);
      const id = resolved.id ?? methodTaskId(location, undefined, method);
      const className = parseTaskId(id)?.name.split('.')[0] ?? '';
      const opts = methodTarget(resolved, id, className, method, key.static === true);
      return wrap(makeTask(id, target as never, opts, location), target as never);
    }
    // experimentalDecorators: (prototype or constructor, name, descriptor)
    if (!descriptor || typeof descriptor.value !== 'function') {
      throw new FoxConfigError([], '@fox() decorates methods; it was applied to something else');
    }
    const isStatic = typeof target === 'function';
    const owner = isStatic ? target.name : (target as object).constructor.name;
    const id = resolved.id ?? methodTaskId(location, owner, String(key));
    const opts = methodTarget(resolved, id, owner, String(key), isStatic);
    const original = descriptor.value as (...args: never[]) => unknown;
    descriptor.value = wrap(makeTask(id, original, opts, location), original);
    return descriptor;
  };
}

/**
 * Creates the task. For `mode: 'auto'` the function is wrapped so that each call on this thread
 * is measured, and an AutoController decides (static hint first, then runtime evidence).
 */
function makeTask(
  id: string,
  fn: (...args: never[]) => unknown,
  opts: TargetedOptions,
  location: SourceLocation | undefined,
): Task {
  const rt = runtime();
  if (opts.mode !== 'auto') return new Task(id, fn as never, opts, location, rt);
  rt.timingHook ??= (t) => autoControllerOf(t)?.recordWorker;
  const controller = new AutoController({}, autoSources(rt.clock));
  const task = new Task(id, controller.wrap(fn as never) as never, opts, location, rt);
  const target = opts[WORKER_TARGET];
  const noModule =
    opts.module === undefined && !location ? 'its module is unknown; pass { module }' : undefined;
  controller.attach(task, target.ineligible ?? noModule);
  registerAutoController(task, controller);
  const hint = staticHint(rt.projectRootOverride ?? process.cwd(), id);
  if (hint && hint !== task.current && !(hint === 'tfox' && controller.ineligible)) {
    void controller.switchTo(hint, `the analyser recommends ${hint}`, { source: 'static' });
  }
  return task;
}

type TargetedOptions = ResolvedOptions & { mode: Mode; [WORKER_TARGET]: WorkerTarget };

function withTarget(
  resolved: ResolvedOptions & { mode: Mode },
  target: WorkerTarget,
): TargetedOptions {
  return { ...resolved, [WORKER_TARGET]: target };
}

/** Only static methods can run in a worker: an instance's `this` cannot cross threads. */
function methodTarget(
  resolved: ResolvedOptions & { mode: Mode },
  id: string,
  className: string,
  method: string,
  isStatic: boolean,
): TargetedOptions {
  const ineligible = isStatic
    ? undefined
    : `'${className}.${method}' is an instance method: its \`this\` cannot be sent to a worker ` +
      'and a worker cannot reach it through an export; make it static or a top-level function';
  if (ineligible && resolved.mode === 'tfox') throw new FoxConfigError(['mode'], ineligible, id);
  return withTarget(resolved, { names: [className, method], ineligible });
}

function wrap(
  task: Task,
  original: (...args: never[]) => unknown,
): (...args: unknown[]) => Promise<unknown> {
  runtime().register(task);
  const foxed = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return task.call(this, args);
  };
  Object.defineProperty(foxed, 'name', { value: original.name });
  Object.defineProperty(foxed, 'length', { value: original.length });
  Object.defineProperty(foxed, FOX_TASK, { value: task });
  Object.defineProperty(foxed, FOX_ORIGINAL, { value: original });
  return foxed;
}

interface StandardContext {
  kind: string;
  name: string | symbol;
  static?: boolean;
}

function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

/** `<relative path>#<binding or function name>` for `fox(options, fn)`. */
function functionTaskId(
  location: SourceLocation | undefined,
  fn: (...args: never[]) => unknown,
): string {
  const source = location ? sourceOf(location) : undefined;
  const binding =
    location && source
      ? bindingNameAt(source, offsetOf(source, location.line, location.column))
      : undefined;
  const name = binding ?? (fn.name && fn.name !== 'anonymous' ? fn.name : undefined);
  if (!name || !location) {
    throw new FoxConfigError(
      ['id'],
      'cannot derive a task id for this function (it is anonymous, or its source location is unknown); pass { id }',
    );
  }
  return formatTaskId(runtime().relativePath(location.file), name);
}

/** `<relative path>#<Class>.<method>` for a decorated method. */
function methodTaskId(
  location: SourceLocation | undefined,
  owner: string | undefined,
  method: string,
): string {
  let className = owner;
  if (!className && location) {
    const source = sourceOf(location);
    if (source)
      className = enclosingClassAt(source, offsetOf(source, location.line, location.column));
  }
  if (!className || !location) {
    throw new FoxConfigError(
      ['id'],
      `cannot determine the class of decorated method '${method}' (no source or source map found); pass { id }`,
    );
  }
  return formatTaskId(runtime().relativePath(location.file), `${className}.${method}`);
}

/**
 * Runs `resolve` (option validation); a FoxConfigError it throws is thrown again naming the
 * task, whose id is worked out only then (`id()`), since the options may hold the id.
 */
function namingTask<T>(resolve: () => T, id: () => string | undefined): T {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof FoxConfigError) throw err.forTask(id());
    throw err;
  }
}

function explicitId(options: unknown): string | undefined {
  const id = (options as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function tryTaskId(derive: () => string): string | undefined {
  try {
    return derive();
  } catch {
    return undefined;
  }
}

/** `<path>#<Class>.<method>` of the method a `@fox(…)` at `location` decorates, if readable. */
function decoratedTaskId(location: SourceLocation | undefined): string | undefined {
  const source = location ? sourceOf(location) : undefined;
  if (!location || !source) return undefined;
  const member = decoratedMemberAt(source, offsetOf(source, location.line, location.column));
  return member ? tryTaskId(() => methodTaskId(location, undefined, member)) : undefined;
}

const sources = new Map<string, string | undefined>();
function sourceOf(location: SourceLocation): string | undefined {
  if (!sources.has(location.file)) sources.set(location.file, readOriginalSource(location));
  return sources.get(location.file);
}

function taskHandle(
  idOrFunction: string | ((...args: never[]) => unknown),
): TaskHandle | undefined {
  const task =
    typeof idOrFunction === 'string'
      ? runtime().registry.get(idOrFunction)
      : (idOrFunction as { [FOX_TASK]?: Task })[FOX_TASK];
  if (!task) return undefined;
  return {
    id: task.id,
    info: () => task.info(),
    stats: () => task.stats(),
    get limiter() {
      // By mode, not class: the strategy may come from another copy of the sdk (the runtime
      // is shared by the ESM and CJS builds, and creates strategies with its own classes).
      const s = task.currentStrategy;
      return s.mode === 'wfox' ? (s as WfoxStrategy).limiter : undefined;
    },
    get policies() {
      return task.policyChain;
    },
  };
}

/** `fox.tuner`: reads and controls the tuner of this process. */
export interface FoxTunerApi {
  /** Whether the tuner runs (a store is open and tuning is on for some task). */
  readonly running: boolean;
  /** Each tuned task's phase, genome, pinned policies and running experiment. */
  status(taskId?: string): TaskTunerStatus[];
  /** Lineage: generations oldest first (every task when `taskId` is left out). */
  history(taskId?: string, limit?: number): Generation[];
  /**
   * Sets a task's bounds at run time, in the shape of its `tune` option (`{ timeout: { min,
   * max }, retry: false }`); throws FoxConfigError on bad bounds, false when it is not tuned.
   */
  setBounds(taskId: string, bounds: TuneOptionInput): boolean;
  /** Stops experiments on a task (remembered in the store); false when it is not tuned. */
  pause(taskId: string): boolean;
  resume(taskId: string): boolean;
}

const tunerApi: FoxTunerApi = {
  get running() {
    return runtime().tuner !== undefined;
  },
  status: (taskId) => runtime().tuner?.status(taskId) ?? [],
  history: (taskId, limit) => runtime().tuner?.history(taskId, limit) ?? [],
  setBounds: (taskId, bounds) => runtime().tuner?.setBounds(taskId, bounds) ?? false,
  pause: (taskId) => runtime().tuner?.pause(taskId) ?? false,
  resume: (taskId) => runtime().tuner?.resume(taskId) ?? false,
};

/** What flows use of the runtime: its clock, and its store for durable runs. */
const flowHost = {
  get clock() {
    return runtime().clock;
  },
  store: () => runtime().openedStore,
  spans: () => runtime().profilerExporter?.spans,
  tracer: () => runtime().callTracer,
};

/** The `fox` entry point. See {@link FoxApi}. */
export const fox: FoxApi = Object.assign(foxImpl as FoxApi, {
  tasks: () =>
    runtime()
      .registry.all()
      .map((t) => t.info()),
  task: taskHandle,
  stats: () => runtime().stats(),
  configure: (config: RuntimeConfig) => runtime().configure(config),
  tuner: tunerApi,
  shutdown: () => runtime().shutdown(),
  context: () => currentCall(),
  worker: (options: FoxWorkerOptions) =>
    startFoxWorker(options, { ...runtime().dfoxQueues.workerDefaults(), clock: runtime().clock }),
  flow: function flow<I>(name: string, options?: FlowOptions): FlowBuilder<I> {
    const site = captureCallSite(flow);
    return createFlowBuilder<I>(name, options, flowHost, site?.runtimeFile);
  },
  move,
  io,
});
