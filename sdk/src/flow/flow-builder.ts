import { FoxConfigError } from '../errors/errors.js';
import type { AnyCondition, AnyNodeFunction } from './execution.js';
import { nodeTaskId } from './flow-call.js';
import { parseFlowOptions, type FlowOptionsSchema } from './flow-options.js';
import { registerFlow, registeredFlow } from './flow-registry.js';
import { Flow, type FlowHost, type SettledRunOptions } from './flow.js';
import type {
  FlowResult,
  FlowRunOptions,
  FlowSettled,
  NodeDeps,
  NodeFunction,
  NodeOptions,
  Simplify,
} from './flow-types.js';
import { compileGraph, type DeclaredNode } from './graph.js';
import type { z } from 'zod';

/**
 * A name not used yet. Dynamic names (`string`, in the name or among the names so far) cannot be
 * told apart by type: `build()` checks them.
 */
type FreshName<N extends string, R> = string extends N
  ? N
  : string extends keyof R
    ? N
    : N extends keyof R
      ? never
      : N;

/** `O` plus `N` when node `N` may be skipped: it has a condition, or needs a node that may. */
type MaybeSkipped<O extends PropertyKey, N extends string, D extends string> =
  O | ([Extract<D, O>] extends [never] ? never : N);

/**
 * A declared node, linked to the ones declared before it (newest first). A list that shares its
 * tail: each `node()` is O(1) and never copies (copying would make declaring n nodes O(n²)), and
 * two builders branching from one keep their own nodes.
 */
interface Declared extends DeclaredNode {
  readonly fn: AnyNodeFunction;
  readonly when: AnyCondition | undefined;
  readonly previous: Declared | undefined;
  readonly count: number;
}

const NO_OPTIONS: NodeOptions<unknown, string> = Object.freeze({});

function declarationOrder(last: Declared | undefined): Declared[] {
  const nodes = new Array<Declared>(last?.count ?? 0);
  for (let d = last; d; d = d.previous) nodes[d.count - 1] = d;
  return nodes;
}

/**
 * Declares a flow node by node; `build()` validates the graph and returns the runnable
 * {@link Flow}. Each `node()` returns a builder whose type knows the new node's result, so a
 * later node's dependencies and the run's results are typed without casts.
 *
 * @example
 * const report = fox
 *   .flow<{ day: string }>('daily-report')
 *   .node('sales', (_, { input }) => loadSales(input.day))
 *   .node('refunds', (_, { input, signal }) => loadRefunds(input.day, { signal }))
 *   .node('summary', { needs: ['sales', 'refunds'] }, ({ sales, refunds }) => summarise(sales, refunds))
 *   .build();
 */
export class FlowBuilder<I, R = Record<never, never>, O extends PropertyKey = never> {
  /** @internal */
  constructor(
    readonly name: string,
    private readonly host: FlowHost,
    private readonly defaults: z.output<typeof FlowOptionsSchema>,
    private readonly declared: Declared | undefined,
    private readonly module: string | undefined,
  ) {}

  /** A node with no dependencies. */
  node<N extends string, T>(
    name: FreshName<N, R>,
    fn: NodeFunction<I, R, never, T>,
  ): FlowBuilder<I, Simplify<R & { [K in N]: Awaited<T> }>, O>;
  /**
   * A conditional node: it runs after the nodes it `needs` only when `when(results)` is true;
   * otherwise it (and whatever needs it) is skipped, so its result may be undefined.
   */
  node<N extends string, T, const D extends string = never>(
    name: FreshName<N, R>,
    options: { readonly needs?: readonly D[]; readonly when: (results: NodeDeps<R, D>) => boolean },
    fn: NodeFunction<I, R, D, T>,
  ): FlowBuilder<I, Simplify<R & { [K in N]: Awaited<T> }>, O | N>;
  /** A node that runs after the nodes it `needs`, receiving their results. */
  node<N extends string, T, const D extends string = never>(
    name: FreshName<N, R>,
    options: NodeOptions<R, D>,
    fn: NodeFunction<I, R, D, T>,
  ): FlowBuilder<I, Simplify<R & { [K in N]: Awaited<T> }>, MaybeSkipped<O, N, D>>;
  node(name: string, a: unknown, b?: unknown): unknown {
    const fn = (b === undefined ? a : b) as AnyNodeFunction;
    const options = (b === undefined ? NO_OPTIONS : (a ?? NO_OPTIONS)) as NodeOptions<
      unknown,
      string
    >;
    if (typeof name !== 'string' || name === '' || name.length > 200) {
      throw new FoxConfigError(
        ['nodes'],
        `flow '${this.name}': a node name must be a non-empty string of at most 200 characters`,
      );
    }
    if (typeof fn !== 'function') {
      throw new FoxConfigError(
        ['nodes', name],
        `flow '${this.name}': node '${name}' needs a function`,
      );
    }
    checkNodeOptions(this.name, name, options);
    const previous = this.declared;
    const declared: Declared = {
      name,
      needs: options.needs ?? [],
      fn,
      when: options.when as AnyCondition | undefined,
      previous,
      count: (previous?.count ?? 0) + 1,
    };
    return new FlowBuilder(this.name, this.host, this.defaults, declared, this.module);
  }

  /**
   * Validates the graph (duplicate names, unknown dependencies, cycles: `FoxConfigError` naming
   * the node or the cycle's path) and returns the runnable flow. The flow is also registered by
   * name, so `fox.flow(name).resume(runId)` and `fox flows resume` find it.
   */
  build(): Flow<I, R, O> {
    const declared = declarationOrder(this.declared);
    const graph = compileGraph(this.name, declared);
    // Made on a node's first run: building a large flow should not build its strings.
    const taskIds: string[] = [];
    const flow = new Flow<I, R, O>(
      {
        name: this.name,
        graph,
        fns: declared.map((n) => n.fn),
        whens: declared.map((n) => n.when),
        nodeTaskId: (i) => (taskIds[i] ??= nodeTaskId(this.name, graph.names[i]!)),
      },
      this.defaults,
      this.host,
      this.module,
    );
    registerFlow(flow);
    return flow;
  }

  /**
   * Resumes a durable run of the flow built under this name in this process (see
   * {@link Flow.resume}). Rejects with FoxConfigError when no flow of this name has been built.
   */
  resume(runId: string, options: SettledRunOptions): Promise<FlowSettled<R>>;
  resume(runId: string, options?: Omit<FlowRunOptions, 'durable'>): Promise<FlowResult<R, O>>;
  resume(runId: string, options?: FlowRunOptions): Promise<unknown> {
    const flow = registeredFlow(this.name);
    if (!flow) {
      return Promise.reject(
        new FoxConfigError(
          [],
          `flow '${this.name}' has not been built in this process; build it before resuming its runs`,
        ),
      );
    }
    return flow.resume(runId, options as Omit<FlowRunOptions, 'durable'>);
  }
}

/** Creates the builder behind `fox.flow(name, options)`. */
export function createFlowBuilder<I>(
  name: string,
  options: unknown,
  host: FlowHost,
  module: string | undefined,
): FlowBuilder<I> {
  // Bounded because run and node spans carry it in their task id (`flow:<name>#<node>`).
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    throw new FoxConfigError(
      ['name'],
      'fox.flow(name): the name must be a non-empty string of at most 200 characters',
    );
  }
  let defaults;
  try {
    defaults = parseFlowOptions(options);
  } catch (err) {
    if (err instanceof FoxConfigError) {
      throw new FoxConfigError(err.path, `flow '${name}': ${err.reason}`);
    }
    throw err;
  }
  return new FlowBuilder<I>(name, host, defaults, undefined, module);
}

function checkNodeOptions(flow: string, node: string, options: NodeOptions<unknown, string>): void {
  if (typeof options !== 'object' || options === null) {
    throw new FoxConfigError(['nodes', node], `flow '${flow}': node options must be an object`);
  }
  for (const key in options) {
    if (key !== 'needs' && key !== 'when') {
      throw new FoxConfigError(
        ['nodes', node, key],
        `flow '${flow}': unknown node option '${key}'`,
      );
    }
  }
  const needs = options.needs;
  if (needs !== undefined && (!Array.isArray(needs) || needs.some((n) => typeof n !== 'string'))) {
    throw new FoxConfigError(
      ['nodes', node, 'needs'],
      `flow '${flow}': needs must be an array of node names`,
    );
  }
  if (options.when !== undefined && typeof options.when !== 'function') {
    throw new FoxConfigError(['nodes', node, 'when'], `flow '${flow}': when must be a function`);
  }
}
