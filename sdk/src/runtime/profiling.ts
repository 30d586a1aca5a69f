import type { Disposable } from '../events/emitter.js';
import { WfoxStrategy } from '../modes/wfox/index.js';
import type { BreakerState as PolicyBreakerState } from '../policies/circuit-breaker.js';
import type { BreakerState, WireEvent } from '../protocol/wire.js';
import { startExporter, type Exporter, type ExporterHost } from '../telemetry/exporter.js';
import type { Task } from '../task/task.js';
import { createCpuFrameLocator } from './cpu-frame-locator.js';
import type { Runtime } from './runtime.js';

/**
 * Connects a runtime to a profiler: builds the exporter's view of the runtime (tasks, stats,
 * histograms, breaker states) and forwards breaker, limit and strategy changes as events.
 */
export function connectProfiler(runtime: Runtime, url: string, intervalMs?: number): Exporter {
  const listeners = new Set<(event: WireEvent) => void>();
  const emit = (event: WireEvent) => listeners.forEach((l) => l(event));
  const host: ExporterHost = {
    processId: runtime.processId,
    projectRoot: runtime.projectRootOverride ?? process.cwd(),
    tasks: () => runtime.registry.all().map((t) => t.info()),
    stats: () => runtime.stats(),
    histogram: (id) => runtime.registry.get(id)?.metrics.latency,
    relativePath: (file) => runtime.relativePath(file),
    breakerState: (id) => {
      const breaker = runtime.registry.get(id)?.policyChain?.get('breaker');
      return breaker ? wireBreakerState(breaker.state) : null;
    },
    runningParameters: (id) => {
      const chain = runtime.registry.get(id)?.policyChain;
      const timeoutMs = chain?.get('timeout')?.config.ms;
      const retryAttempts = chain?.get('retry')?.config.attempts;
      const bulkheadLimit = chain?.get('bulkhead')?.config.limit;
      if (timeoutMs === undefined && retryAttempts === undefined && bulkheadLimit === undefined)
        return undefined;
      return {
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(retryAttempts !== undefined ? { retryAttempts } : {}),
        ...(bulkheadLimit !== undefined ? { bulkheadLimit } : {}),
      };
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  const feed = runtime.wireEvents.event(emit);
  const cpuIntervalUs = cpuSamplingIntervalFromEnv();
  const exporter = startExporter({
    url,
    runtime: host,
    clock: runtime.clock,
    ...(intervalMs ? { intervalMs } : {}),
    ...(cpuIntervalUs === undefined
      ? {}
      : {
          cpuSampling: {
            ...(cpuIntervalUs > 0 ? { intervalUs: cpuIntervalUs } : {}),
            locate: createCpuFrameLocator((file) => runtime.relativePath(file)),
          },
        }),
  });
  const watched = new Map<Task, Disposable[]>();
  const watch = (task: Task) => {
    // A profiler found while registering the first task sees it twice: in the registry now,
    // and from register() once connected. Watching it twice would double its events.
    if (watched.has(task)) return;
    watched.set(task, [
      task.recordSpans(exporter.spans.gate(task.id), exporter.spans),
      ...watchTask(task, emit, () => runtime.clock.wallNow()),
    ]);
  };
  const registered = runtime.onTaskRegistered(watch);
  for (const task of runtime.registry.all()) watch(task);
  const shutdown = exporter.shutdown.bind(exporter);
  return Object.assign(exporter, {
    shutdown: async (timeoutMs?: number) => {
      registered.dispose();
      feed.dispose();
      for (const subs of watched.values()) subs.forEach((s) => s.dispose());
      watched.clear();
      await shutdown(timeoutMs);
    },
  });
}

/** Subscribes to a task's breaker, limiter and strategy changes. */
function watchTask(task: Task, emit: (event: WireEvent) => void, now: () => number): Disposable[] {
  const subs: Disposable[] = [];
  const taskId = task.id;
  const chain = task.policyChain;
  const breaker = chain?.get('breaker');
  if (chain && breaker) {
    let last: BreakerState = wireBreakerState(breaker.state);
    const onChange = () => {
      const to = wireBreakerState(breaker.state);
      if (to !== last) emit({ kind: 'breaker', at: now(), taskId, from: last, to });
      last = to;
    };
    subs.push(
      chain.events.break(onChange),
      chain.events.halfOpen(onChange),
      chain.events.reset(onChange),
    );
  }
  let limiterSub: Disposable | undefined;
  const watchLimiter = () => {
    limiterSub?.dispose();
    const strategy = task.currentStrategy;
    limiterSub =
      strategy instanceof WfoxStrategy
        ? strategy.limiter.onLimitChange((e) =>
            emit({ kind: 'limit', at: now(), taskId, from: e.previous, to: e.limit }),
          )
        : undefined;
  };
  watchLimiter();
  subs.push(
    task.onStrategyChange((e) => {
      emit({ kind: 'strategy', at: now(), taskId, from: e.from, to: e.to });
      watchLimiter();
    }),
    { dispose: () => limiterSub?.dispose() },
  );
  return subs;
}

function wireBreakerState(state: PolicyBreakerState): BreakerState {
  return state === 'halfOpen' ? 'half-open' : state === 'isolated' ? 'open' : state;
}

/**
 * `FOX_CPU_SAMPLING`: unset or empty → sample at the default interval (0 here); `off`, `0`,
 * `false` → no sampling; a number → that interval in µs. Read when a profiler connects: CPU
 * sampling only ever runs while telemetry goes to a profiler.
 */
export function cpuSamplingIntervalFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const raw = env.FOX_CPU_SAMPLING?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 0;
  if (raw === 'off' || raw === 'false' || raw === '0' || raw === 'no') return undefined;
  const us = Number(raw);
  return Number.isFinite(us) && us > 0 ? Math.round(us) : 0;
}
