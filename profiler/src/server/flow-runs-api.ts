import type { FlowRunStatus } from '@fox/sdk/protocol';
import type { LiveState } from '../live/live-state.js';
import type { FlowRunView } from '../live/view.js';
import type { BatchWriter } from '../storage/batch-writer.js';

/** One flow run in `GET /api/flows`: what a list shows, without the graph. */
export interface FlowRunSummary {
  processId: string;
  runId: string;
  flow: string;
  status: FlowRunStatus;
  start: number;
  end: number | null;
  nodes: number;
  failed: number;
  criticalPath: string[];
}

/** Most runs one `GET /api/flows` returns. */
export const MAX_FLOW_RUNS_LISTED = 500;

/**
 * The flow runs the profiler knows, newest first: those of this run in memory, then those the
 * store kept from earlier runs (within its retention). `limit` is clamped to
 * {@link MAX_FLOW_RUNS_LISTED}.
 */
export function listFlowRuns(
  live: LiveState,
  writer: BatchWriter | undefined,
  limit: number,
  processId?: string,
): FlowRunSummary[] {
  const n = Math.max(0, Math.min(MAX_FLOW_RUNS_LISTED, Math.floor(limit)));
  const byId = new Map<string, FlowRunView>();
  for (const v of live.flowRuns(n, processId)) byId.set(v.run.runId, v);
  if (writer && byId.size < n) {
    const since = Date.now() - writer.store.retentionMs();
    for (const row of writer.tables.recentFlowRuns(since, Number.MAX_SAFE_INTEGER, n)) {
      if (processId !== undefined && row.processId !== processId) continue;
      if (!byId.has(row.run.runId)) byId.set(row.run.runId, row);
    }
  }
  return [...byId.values()]
    .sort((a, b) => b.run.start - a.run.start)
    .slice(0, n)
    .map(summaryOf);
}

/** One flow run with its graph: from memory, else from the store; undefined when unknown. */
export function findFlowRun(
  live: LiveState,
  writer: BatchWriter | undefined,
  runId: string,
): FlowRunView | undefined {
  return live.flowRunById(runId) ?? writer?.tables.flowRun(runId);
}

function summaryOf({ processId, run }: FlowRunView): FlowRunSummary {
  return {
    processId,
    runId: run.runId,
    flow: run.flow,
    status: run.status,
    start: run.start,
    end: run.end ?? null,
    nodes: run.nodes.length + run.omitted,
    failed: run.nodes.filter((n) => n.status === 'failed').length,
    criticalPath: run.criticalPath,
  };
}
