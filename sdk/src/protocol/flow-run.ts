import { z } from 'zod';

/**
 * The `flow-run` frame (exporter → profiler): one flow run's graph — node names, what each
 * needs, per-node status and timing, and the run's critical path — so the profiler can draw it.
 * Spans alone carry the tree (flow → node runs), not the edges between nodes.
 *
 * Versioned in the frame itself, like `cpu-profile`: added to wire version 1 without bumping it.
 * A profiler that predates the frame rejects it as invalid and counts it (one refused frame; the
 * connection and every other frame go on), so old profilers and new exporters still talk. A
 * sampled run sends the frame twice: when it starts (`running`, every node `pending`) and when
 * it ends; the profiler keeps the latest by run id.
 */
export const FLOW_RUN_WIRE_VERSION = 1;

/** Most nodes one frame carries; larger flows send their first nodes in topological order. */
export const MAX_FLOW_RUN_NODES = 1000;
/** Most `needs` entries over all nodes of one frame. */
export const MAX_FLOW_RUN_EDGES = 3000;

const Id = z.string().min(1).max(512);
/** The flow builder's own bound on node names. */
const NodeName = z.string().min(1).max(200);
/** Epoch ms, up to 2200-01-01 (the bound of every wire time). */
const EpochMs = z
  .number()
  .nonnegative()
  .max(Date.UTC(2200, 0, 1));

export const FlowNodeStatusSchema = z.enum([
  'pending',
  'running',
  'ok',
  'failed',
  'skipped',
  'cancelled',
]);
export type FlowNodeStatus = z.infer<typeof FlowNodeStatusSchema>;

export const FlowRunStatusSchema = z.enum(['running', 'ok', 'failed', 'cancelled']);
export type FlowRunStatus = z.infer<typeof FlowRunStatusSchema>;

export const WireFlowNodeSchema = z
  .object({
    name: NodeName,
    needs: z.array(NodeName).max(MAX_FLOW_RUN_NODES),
    status: FlowNodeStatusSchema,
    /** Epoch ms; absent for a node that never started. */
    start: EpochMs.optional(),
    /** Epoch ms; absent while running, and for nodes that never started or were cancelled. */
    end: EpochMs.optional(),
    /** The node run's id (a child of the flow run in the span tree). */
    runId: Id.optional(),
    /** Error code of a failed node (see the sdk's `errorCode`). */
    errorCode: z.string().max(64).optional(),
    /** Why a skipped node did not run (`condition`, `dependency-failed`…). */
    skipReason: z.string().max(64).optional(),
    /** Its result came from the store (a resumed durable run). */
    restored: z.boolean().optional(),
  })
  .refine((n) => n.end === undefined || (n.start !== undefined && n.end >= n.start), {
    message: 'end before start',
  });
export type WireFlowNode = z.infer<typeof WireFlowNodeSchema>;

export const FlowRunFrameSchema = z
  .object({
    type: z.literal('flow-run'),
    v: z.literal(FLOW_RUN_WIRE_VERSION),
    /** ULID of the flow run (the `flow:<name>` span's run id). */
    runId: Id,
    flow: z.string().min(1).max(256),
    /** The sampled call the flow ran inside, if any. */
    parentRunId: Id.nullable(),
    status: FlowRunStatusSchema,
    start: EpochMs,
    end: EpochMs.optional(),
    nodes: z.array(WireFlowNodeSchema).max(MAX_FLOW_RUN_NODES),
    /** Nodes left out by {@link MAX_FLOW_RUN_NODES} / {@link MAX_FLOW_RUN_EDGES}. */
    omitted: z.number().int().nonnegative().max(100_000_000),
    /** Node names from the first to the last node of the critical path (empty while running). */
    criticalPath: z.array(NodeName).max(MAX_FLOW_RUN_NODES),
  })
  .superRefine((f, ctx) => {
    if (f.end !== undefined && f.end < f.start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'end before start' });
    }
    const names = new Set<string>();
    let edges = 0;
    for (const n of f.nodes) {
      if (names.has(n.name)) {
        ctx.addIssue({ code: 'custom', path: ['nodes'], message: `duplicate node '${n.name}'` });
        return;
      }
      names.add(n.name);
      edges += n.needs.length;
    }
    if (edges > MAX_FLOW_RUN_EDGES) {
      ctx.addIssue({
        code: 'custom',
        path: ['nodes'],
        message: `more than ${MAX_FLOW_RUN_EDGES} needs`,
      });
      return;
    }
    // Edges and the path only name nodes of the frame: a UI can draw what it receives.
    for (const n of f.nodes) {
      for (const need of n.needs) {
        if (!names.has(need)) {
          ctx.addIssue({ code: 'custom', path: ['nodes'], message: `unknown need '${need}'` });
          return;
        }
      }
    }
    for (const p of f.criticalPath) {
      if (!names.has(p)) {
        ctx.addIssue({ code: 'custom', path: ['criticalPath'], message: `unknown node '${p}'` });
        return;
      }
    }
  });
export type FlowRunFrame = z.infer<typeof FlowRunFrameSchema>;
