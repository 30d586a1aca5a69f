import type { Disposable } from '../events/emitter.js';
import { WfoxStrategy } from '../modes/wfox/index.js';
import type { BreakerState as PolicyBreakerState } from '../policies/circuit-breaker.js';
import type { BreakerState, WireEvent } from '../protocol/wire.js';
import { startExporter, type Exporter, type ExporterHost } from '../telemetry/exporter.js';
import type { Task } from '../task/task.js';
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
    onEvent: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  const feed = runtime.wireEvents.event(emit);
  const exporter = startExporter({ url, runtime: host, ...(intervalMs ? { intervalMs } : {}) });
  const watched = new Map<Task, Disposable[]>();
  runtime.onTaskRegistered = (task) => {
    // A profiler found while registering the first task sees it twice: in the registry now,
    // and from register() once connected. Watching it twice would double its events.
    if (watched.has(task)) return;
    task.spanGate = exporter.spans.gate(task.id);
    task.spanSink = exporter.spans;
    watched.set(task, watchTask(task, emit));
  };
  for (const task of runtime.registry.all()) runtime.onTaskRegistered(task);
  const shutdown = exporter.shutdown.bind(exporter);
  return Object.assign(exporter, {
    shutdown: async (timeoutMs?: number) => {
      runtime.onTaskRegistered = undefined;
      feed.dispose();
      for (const [task, subs] of watched) {
        task.spanGate = undefined;
        task.spanSink = undefined;
        subs.forEach((s) => s.dispose());
      }
      watched.clear();
      await shutdown(timeoutMs);
    },
  });
}

/** Subscribes to a task's breaker, limiter and strategy changes. */
function watchTask(task: Task, emit: (event: WireEvent) => void): Disposable[] {
  const subs: Disposable[] = [];
  const taskId = task.id;
  const chain = task.policyChain;
  const breaker = chain?.get('breaker');
  if (chain && breaker) {
    let last: BreakerState = wireBreakerState(breaker.state);
    const onChange = () => {
      const to = wireBreakerState(breaker.state);
      if (to !== last) emit({ kind: 'breaker', at: Date.now(), taskId, from: last, to });
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
            emit({ kind: 'limit', at: Date.now(), taskId, from: e.previous, to: e.limit }),
          )
        : undefined;
  };
  watchLimiter();
  subs.push(
    task.onStrategyChange((e) => {
      emit({ kind: 'strategy', at: Date.now(), taskId, from: e.from, to: e.to });
      watchLimiter();
    }),
    { dispose: () => limiterSub?.dispose() },
  );
  return subs;
}

function wireBreakerState(state: PolicyBreakerState): BreakerState {
  return state === 'halfOpen' ? 'half-open' : state === 'isolated' ? 'open' : state;
}
