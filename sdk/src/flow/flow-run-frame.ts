import {
  FLOW_RUN_WIRE_VERSION,
  MAX_FLOW_RUN_EDGES,
  MAX_FLOW_RUN_NODES,
  type FlowNodeStatus,
  type FlowRunFrame,
  type FlowRunStatus,
  type WireFlowNode,
} from '../protocol/flow-run.js';
import { errorCode } from '../telemetry/task-metrics.js';
import { criticalPath } from './critical-path.js';
import type { CompiledGraph } from './graph.js';
import type { NodeProgress } from './node-outcome.js';

/** What a `flow-run` frame is built from; times in the flow clock's ms (performance.now). */
export interface FlowRunSnapshot {
  readonly flow: string;
  readonly runId: string;
  readonly parentRunId: string | null;
  readonly graph: CompiledGraph;
  readonly status: FlowRunStatus;
  readonly startedAt: number;
  readonly endedAt?: number;
  /** Each node by index (undefined: pending); absent when nothing is known yet. */
  readonly outcomes?: readonly NodeProgress[];
}

/**
 * The `flow-run` frame of a run (see protocol/flow-run.ts): nodes in topological order, cut to
 * the wire's bounds (needs of a node left out are dropped with it, and counted in `omitted`),
 * times as epoch ms like spans, and the critical path of the nodes that ran.
 */
export function flowRunFrame(s: FlowRunSnapshot): FlowRunFrame {
  const { graph, outcomes } = s;
  const origin = performance.timeOrigin;
  const kept = new Set<number>();
  const nodes: WireFlowNode[] = [];
  let edges = 0;
  for (const i of graph.order) {
    const at = graph.needsAt[i]!;
    const count = graph.needsAt[i + 1]! - at;
    if (nodes.length >= MAX_FLOW_RUN_NODES || edges + count > MAX_FLOW_RUN_EDGES) break;
    const needs: string[] = [];
    // Topological order: every need of a kept node was offered before it.
    for (let k = at; k < at + count; k++) {
      const j = graph.needs[k]!;
      if (kept.has(j)) needs.push(graph.names[j]!);
    }
    kept.add(i);
    edges += needs.length;
    nodes.push(wireNode(graph.names[i]!, needs, outcomes?.[i], origin));
  }
  // The critical path of a run in progress is not known yet.
  const timed =
    outcomes && s.status !== 'running'
      ? nodes.map((n) => ({
          name: n.name,
          needs: n.needs,
          ...(n.end === undefined ? {} : { startedAt: n.start, endedAt: n.end }),
        }))
      : [];
  return {
    type: 'flow-run',
    v: FLOW_RUN_WIRE_VERSION,
    runId: s.runId,
    flow: s.flow.slice(0, 256),
    parentRunId: s.parentRunId,
    status: s.status,
    start: origin + s.startedAt,
    ...(s.endedAt === undefined ? {} : { end: origin + Math.max(s.startedAt, s.endedAt) }),
    nodes,
    omitted: graph.names.length - nodes.length,
    criticalPath: criticalPath(timed),
  };
}

function wireNode(
  name: string,
  needs: string[],
  outcome: NodeProgress,
  origin: number,
): WireFlowNode {
  if (!outcome) return { name, needs, status: 'pending' };
  switch (outcome.status) {
    case 'running':
      return {
        name,
        needs,
        status: 'running',
        start: origin + outcome.startedAt,
        runId: outcome.runId,
      };
    case 'succeeded':
    case 'failed': {
      const status: FlowNodeStatus = outcome.status === 'succeeded' ? 'ok' : 'failed';
      const start = origin + outcome.startedAt;
      return {
        name,
        needs,
        status,
        start,
        end: Math.max(start, origin + outcome.endedAt),
        runId: outcome.runId,
        ...(outcome.status === 'failed'
          ? { errorCode: errorCode(outcome.error).slice(0, 64) }
          : {}),
        ...('restored' in outcome && outcome.restored ? { restored: true } : {}),
      };
    }
    case 'cancelled':
      return {
        name,
        needs,
        status: 'cancelled',
        start: origin + outcome.startedAt,
        runId: outcome.runId,
      };
    case 'skipped':
      return { name, needs, status: 'skipped', skipReason: outcome.reason.kind };
  }
}
