/**
 * Flows: typed graphs of tasks with dependencies, validated when built (duplicates, unknown
 * names, cycles), run as parallel as their dependencies allow, optionally durable in the store.
 */
export { Flow, type FlowHost, type SettledRunOptions } from './flow.js';
export { FlowBuilder, createFlowBuilder } from './flow-builder.js';
export {
  FoxFlowError,
  FoxFlowNotSerializableError,
  FoxFlowUnknownRunError,
} from './flow-errors.js';
export {
  FLOW_RUNS,
  FLOW_SCHEMA,
  type FlowNodeRow,
  type FlowRunRow,
  type FlowRunStatus,
  type FlowRunStore,
} from './flow-store.js';
export { registeredFlow, registeredFlowNames } from './flow-registry.js';
export { compileGraph, type CompiledGraph, type DeclaredNode } from './graph.js';
export { flowTaskId, nodeTaskId } from './flow-call.js';
export type {
  FlowOptions,
  FlowOutcomes,
  FlowResult,
  FlowResults,
  FlowRunOptions,
  FlowSettled,
  NodeContext,
  NodeDeps,
  NodeFunction,
  NodeOptions,
} from './flow-types.js';
export type { NodeOutcome, NodeTiming, SkipReason } from './node-outcome.js';
export { criticalPath, type TimedNode } from './critical-path.js';
