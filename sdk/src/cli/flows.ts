import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isFoxError } from '../errors/errors.js';
import {
  criticalPath,
  FLOW_RUNS,
  registeredFlow,
  type FlowNodeRow,
  type FlowRunRow,
  type FlowRunStore,
} from '../flow/index.js';
import { runtime } from '../runtime/runtime.js';
import { openStore } from '../store/store.js';
import {
  type CommandSpec,
  type Io,
  processIo,
  readSubcommand,
  storePathOf,
  UsageError,
} from './args.js';

const USAGE = `usage: fox flows <command>
  list [--flow NAME] [--limit N] [--store PATH] [--json]   durable flow runs, newest first
  show RUN [--store PATH] [--json]                          a run's nodes, timing, critical path
  resume RUN [--module FILE] [--store PATH]                 rerun what had not completed
resume imports the module that built the flow (recorded with the run, or --module) with
FOX_FLOW_RESUME=RUN set, so a program can skip its own start-up work; the module must build the
flow when it is imported.`;

const FLAGS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  flow: { type: 'string' },
  limit: { type: 'string' },
  module: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMANDS: Record<string, CommandSpec> = {
  list: { flags: ['store', 'json', 'flow', 'limit'], words: 1 },
  show: { flags: ['store', 'json'], words: 2 },
  resume: { flags: ['store', 'module'], words: 2 },
};

const TOOL = { name: 'flows', usage: USAGE, flags: FLAGS, commands: COMMANDS };

/** `fox flows …`. Exit 0 ok, 1 a run that failed or cannot be resumed, 2 usage. */
export async function flowsMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  const args = readSubcommand(TOOL, argv, io);
  if (typeof args === 'number') return args;
  const { command } = args;
  const [, target] = args.positionals;
  try {
    const path = storePathOf(args.values.store);
    switch (command) {
      case 'list':
        return list(path, args.values, io);
      case 'show':
        return show(path, need(target), args.values.json === true, io);
      case 'resume':
        return await resumeRun(path, need(target), args.values.module, io);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fox flows: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (isFoxError(err)) {
      io.err(`fox flows: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function need(run: string | undefined): string {
  if (!run) throw new UsageError('missing RUN (a run id from `fox flows list`)');
  return run;
}

function withRuns<T>(path: string, fn: (runs: FlowRunStore) => T): T {
  if (!existsSync(path)) throw new UsageError(`no store at ${path}`);
  const store = openStore({ path });
  try {
    return fn(store.use(FLOW_RUNS));
  } finally {
    store.close();
  }
}

function list(
  path: string,
  values: { flow?: string; limit?: string; json?: boolean },
  io: Io,
): number {
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError('--limit takes a whole number ≥ 1');
  const rows = withRuns(path, (runs) => runs.latest(limit, values.flow));
  if (values.json) {
    io.out(JSON.stringify(rows.map(runSummary), null, 2));
    return 0;
  }
  if (rows.length === 0) {
    io.out('no flow runs');
    return 0;
  }
  for (const r of rows) {
    const took = r.endedAt === null ? '' : `  ${r.endedAt - r.startedAt} ms`;
    io.out(
      `${r.runId}  ${r.status.padEnd(9)}  ${new Date(r.startedAt).toISOString()}  ${r.flow}` +
        `  (${r.nodeCount} nodes)${took}`,
    );
  }
  return 0;
}

function show(path: string, runId: string, json: boolean, io: Io): number {
  const found = withRuns(path, (runs) => {
    const run = runs.run(runId);
    return run ? { run, nodes: runs.nodes(runId) } : undefined;
  });
  if (!found) {
    io.err(`fox flows: no run ${runId} in ${path}`);
    return 1;
  }
  const view = runView(found.run, found.nodes);
  if (json) {
    io.out(JSON.stringify(view, null, 2));
    return 0;
  }
  const { run } = found;
  io.out(`${run.flow}  run ${run.runId}  ${run.status}`);
  io.out(
    `started ${new Date(run.startedAt).toISOString()}${run.endedAt ? `, ended ${new Date(run.endedAt).toISOString()}` : ''}`,
  );
  if (run.error) io.out(`error: ${run.error}`);
  const onPath = new Set(view.criticalPath);
  for (const n of view.nodes) {
    const timing = n.ms === undefined ? '' : `  ${n.ms.toFixed(1)} ms`;
    const needs = n.needs.length > 0 ? `  ← ${n.needs.join(', ')}` : '';
    io.out(
      `  ${onPath.has(n.name) ? '*' : ' '} ${n.name.padEnd(20)} ${n.status.padEnd(9)}${timing}${needs}${n.error ? `  ${n.error}` : ''}`,
    );
  }
  if (view.criticalPath.length > 0) io.out(`critical path (*): ${view.criticalPath.join(' → ')}`);
  return 0;
}

/** A run as `show --json` prints it (and a UI could draw it): every node, with status and timing. */
function runView(run: FlowRunRow, rows: FlowNodeRow[]) {
  const byNode = new Map(rows.map((r) => [r.node, r]));
  const graph = JSON.parse(run.graph) as Array<[string, string[]]>;
  const nodes = graph.map(([name, needs]) => {
    const r = byNode.get(name);
    return {
      name,
      needs,
      status: r?.status ?? (run.status === 'running' ? 'pending' : 'not run'),
      startedAt: r?.startedAt,
      endedAt: r?.endedAt,
      ms: r ? r.endedAt - r.startedAt : undefined,
      attempts: r?.attempts,
      runId: r?.nodeRunId,
      error: r?.error ?? undefined,
    };
  });
  return {
    ...runSummary(run),
    nodes,
    criticalPath: criticalPath(
      nodes.filter((n) => n.status === 'succeeded' || n.status === 'failed'),
    ),
  };
}

function runSummary(r: FlowRunRow) {
  return {
    runId: r.runId,
    flow: r.flow,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    nodeCount: r.nodeCount,
    module: r.module,
    error: r.error,
  };
}

async function resumeRun(
  path: string,
  runId: string,
  module: string | undefined,
  io: Io,
): Promise<number> {
  const run = withRuns(path, (runs) => runs.run(runId));
  if (!run) {
    io.err(`fox flows: no run ${runId} in ${path}`);
    return 1;
  }
  const from = module ?? run.module;
  if (!from) throw new UsageError(`run ${runId} did not record its module; pass --module FILE`);
  const url =
    /^[a-z]+:/i.test(from) && !/^[a-z]:[\\/]/i.test(from)
      ? from
      : pathToFileURL(resolve(from)).href;
  process.env['FOX_FLOW_RESUME'] = runId;
  process.env['FOX_STORE'] ??= resolve(path);
  await import(url);
  const rt = runtime();
  // The module may have configured its own store; if not, resume into the one named here.
  if (!rt.openedStore) rt.configure({ store: resolve(path) });
  const flow = registeredFlow(run.flow);
  if (!flow) {
    io.err(`fox flows: importing ${from} did not build flow '${run.flow}'`);
    return 1;
  }
  try {
    const settled = (await flow.resume(runId, { continueOnError: true })) as {
      ok: boolean;
      nodes: Record<string, { status: string; restored?: boolean }>;
    };
    let restored = 0;
    let ran = 0;
    for (const o of Object.values(settled.nodes)) {
      if (o.status === 'succeeded' && o.restored) restored++;
      else if (o.status === 'succeeded' || o.status === 'failed') ran++;
    }
    io.out(
      `run ${runId} of ${run.flow}: ${settled.ok ? 'succeeded' : 'failed'} ` +
        `(${restored} node(s) restored, ${ran} run now)`,
    );
    return settled.ok ? 0 : 1;
  } finally {
    await rt.shutdown();
  }
}
