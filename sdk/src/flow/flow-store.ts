import type { SqliteDatabase as Database } from '../store/driver.js';
import type { SubsystemSchema } from '../store/migration-runner.js';
import type { StoreModule } from '../store/store-module.js';

/** A durable run's state. `running` after a crash means it can be resumed. */
export type FlowRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One durable flow run. */
export interface FlowRunRow {
  runId: string;
  flow: string;
  /** The input as JSON (`null` for none). */
  input: string;
  inputHash: string;
  /** Where the flow was built (a file URL), so `fox flows resume` can load it; may be null. */
  module: string | null;
  status: FlowRunStatus;
  /** Wall-clock epoch ms. */
  startedAt: number;
  endedAt: number | null;
  /** Nodes in the flow when the run started. */
  nodeCount: number;
  /** Every node with its needs, as JSON `[[name, [needs…]], …]`, for `fox flows show`. */
  graph: string;
  error: string | null;
}

/** One completed (or failed) node of a durable run. */
export interface FlowNodeRow {
  runId: string;
  node: string;
  status: 'succeeded' | 'failed';
  /** The result as JSON (succeeded), or null. */
  result: string | null;
  error: string | null;
  /** Hash of the run's input when this node ran: a result is reused only for the same input. */
  inputHash: string;
  nodeRunId: string;
  startedAt: number;
  endedAt: number;
  /** 1 on the first run; a node that failed and was rerun by a resume counts up. */
  attempts: number;
}

/** The flow runs of a store: `store.use(FLOW_RUNS)`. */
export interface FlowRunStore {
  startRun(row: FlowRunRow): void;
  /** Marks a resumed run running again. */
  reopenRun(runId: string): void;
  endRun(runId: string, status: FlowRunStatus, endedAt: number, error: string | null): void;
  /** Records a node's completion; a succeeded node is never overwritten. */
  recordNode(row: Omit<FlowNodeRow, 'attempts'>): void;
  run(runId: string): FlowRunRow | undefined;
  nodes(runId: string): FlowNodeRow[];
  /** Newest first. */
  latest(limit: number, flow?: string): FlowRunRow[];
}

/** Tables `flow_runs` and `flow_nodes`. */
export const FLOW_SCHEMA: SubsystemSchema = {
  subsystem: 'flow',
  migrations: [
    {
      version: 1,
      name: 'durable flow runs and their completed nodes',
      up(db) {
        db.exec(`
          CREATE TABLE flow_runs (
            run_id     TEXT PRIMARY KEY,
            flow       TEXT NOT NULL,
            input      TEXT NOT NULL,
            input_hash TEXT NOT NULL,
            module     TEXT,
            status     TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at   INTEGER,
            node_count INTEGER NOT NULL,
            graph      TEXT NOT NULL,
            error      TEXT
          ) STRICT;
          CREATE INDEX flow_runs_flow ON flow_runs (flow, started_at);
          CREATE INDEX flow_runs_started ON flow_runs (started_at);

          CREATE TABLE flow_nodes (
            run_id      TEXT NOT NULL REFERENCES flow_runs(run_id) ON DELETE CASCADE,
            node        TEXT NOT NULL,
            status      TEXT NOT NULL,
            result      TEXT,
            error       TEXT,
            input_hash  TEXT NOT NULL,
            node_run_id TEXT NOT NULL,
            started_at  REAL NOT NULL,
            ended_at    REAL NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (run_id, node)
          ) STRICT;
        `);
      },
    },
  ],
};

interface RunRecord {
  run_id: string;
  flow: string;
  input: string;
  input_hash: string;
  module: string | null;
  status: FlowRunStatus;
  started_at: number;
  ended_at: number | null;
  node_count: number;
  graph: string;
  error: string | null;
}

interface NodeRecord {
  run_id: string;
  node: string;
  status: 'succeeded' | 'failed';
  result: string | null;
  error: string | null;
  input_hash: string;
  node_run_id: string;
  started_at: number;
  ended_at: number;
  attempts: number;
}

/**
 * Durable flow runs in the store.
 *
 * @example
 * const runs = store.use(FLOW_RUNS);
 * for (const r of runs.latest(20)) console.log(r.runId, r.flow, r.status);
 */
export const FLOW_RUNS: StoreModule<FlowRunStore> = { schema: FLOW_SCHEMA, bind: bindFlowRuns };

function bindFlowRuns(db: Database): FlowRunStore {
  const insertRun = db.prepare(
    `INSERT INTO flow_runs (run_id, flow, input, input_hash, module, status, started_at,
       ended_at, node_count, graph, error)
     VALUES (@runId, @flow, @input, @inputHash, @module, @status, @startedAt, @endedAt,
       @nodeCount, @graph, @error)`,
  );
  const reopen = db.prepare(
    `UPDATE flow_runs SET status = 'running', ended_at = NULL, error = NULL WHERE run_id = ?`,
  );
  const end = db.prepare(
    'UPDATE flow_runs SET status = ?, ended_at = ?, error = ? WHERE run_id = ?',
  );
  // A succeeded node is final: a late write (a rerun that raced a crash) must not replace it.
  const upsertNode = db.prepare(
    `INSERT INTO flow_nodes (run_id, node, status, result, error, input_hash, node_run_id,
       started_at, ended_at)
     VALUES (@runId, @node, @status, @result, @error, @inputHash, @nodeRunId, @startedAt, @endedAt)
     ON CONFLICT (run_id, node) DO UPDATE SET status = excluded.status, result = excluded.result,
       error = excluded.error, input_hash = excluded.input_hash,
       node_run_id = excluded.node_run_id, started_at = excluded.started_at,
       ended_at = excluded.ended_at, attempts = flow_nodes.attempts + 1
     WHERE flow_nodes.status <> 'succeeded'`,
  );
  const getRun = db.prepare('SELECT * FROM flow_runs WHERE run_id = ?');
  const getNodes = db.prepare('SELECT * FROM flow_nodes WHERE run_id = ? ORDER BY started_at');
  const latestAll = db.prepare(
    'SELECT * FROM flow_runs ORDER BY started_at DESC, run_id DESC LIMIT ?',
  );
  const latestOf = db.prepare(
    'SELECT * FROM flow_runs WHERE flow = ? ORDER BY started_at DESC, run_id DESC LIMIT ?',
  );
  return {
    startRun: (row) => void insertRun.run(row),
    reopenRun: (runId) => void reopen.run(runId),
    endRun: (runId, status, endedAt, error) => void end.run(status, endedAt, error, runId),
    recordNode: (row) => void upsertNode.run(row),
    run: (runId) => {
      const r = getRun.get(runId) as RunRecord | undefined;
      return r ? runOf(r) : undefined;
    },
    nodes: (runId) => (getNodes.all(runId) as NodeRecord[]).map(nodeOf),
    latest: (limit, flow) =>
      ((flow === undefined ? latestAll.all(limit) : latestOf.all(flow, limit)) as RunRecord[]).map(
        runOf,
      ),
  };
}

function runOf(r: RunRecord): FlowRunRow {
  return {
    runId: r.run_id,
    flow: r.flow,
    input: r.input,
    inputHash: r.input_hash,
    module: r.module,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    nodeCount: r.node_count,
    graph: r.graph,
    error: r.error,
  };
}

function nodeOf(r: NodeRecord): FlowNodeRow {
  return {
    runId: r.run_id,
    node: r.node,
    status: r.status,
    result: r.result,
    error: r.error,
    inputHash: r.input_hash,
    nodeRunId: r.node_run_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    attempts: r.attempts,
  };
}
