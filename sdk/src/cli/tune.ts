import { existsSync } from 'node:fs';
import { openStore } from '../store/store.js';
import { TUNER_LINEAGE, type Generation, type LineageStore } from '../tuner/lineage-store.js';
import {
  processIo,
  readSubcommand,
  storePathOf,
  UsageError,
  type CommandSpec,
  type Io,
} from './args.js';

const USAGE = `usage: fox tune <command>
  status [TASK] [--store PATH] [--json]             each tuned task: current generation, genome,
                                                    paused, the last experiment and its fate
  history [TASK] [--limit N] [--store PATH] [--json] the lineage: generations, oldest first
  export [TASK] [--store PATH]                      the lineage and task states as one JSON
                                                    document (for review or another project)`;

const FLAGS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMANDS: Record<string, CommandSpec> = {
  status: { flags: ['store', 'json'], words: 2 },
  history: { flags: ['store', 'json', 'limit'], words: 2 },
  export: { flags: ['store'], words: 2 },
};

const TOOL = { name: 'tune', usage: USAGE, flags: FLAGS, commands: COMMANDS };

function genomeText(g: Generation['genome']): string {
  const parts = Object.entries(g).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(' ') : '-';
}

function changeText(g: Generation): string {
  const c = g.change;
  return c ? `${c.gene} ${c.from} → ${c.to} (${c.source})` : '-';
}

interface TaskStatus {
  taskId: string;
  paused: boolean;
  current: Generation | undefined;
  last: Generation | undefined;
  generations: number;
}

function statusOf(lineage: LineageStore, taskId: string | undefined): TaskStatus[] {
  return lineage
    .states()
    .filter((s) => taskId === undefined || s.taskId === taskId)
    .map((s) => {
      const history = lineage.history(s.taskId);
      return {
        taskId: s.taskId,
        paused: s.paused,
        current: s.currentId ? lineage.get(s.currentId) : undefined,
        last: history[history.length - 1],
        generations: history.length,
      };
    });
}

/** `fox tune …`: reads the tuner's lineage from the store. Exit 0 ok, 2 usage or no store. */
export async function tuneMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  const args = readSubcommand(TOOL, argv, io);
  if (typeof args === 'number') return args;
  const { command } = args;
  const [, taskId] = args.positionals;
  try {
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command ${command}`);
    const limitText = args.values.limit;
    const limit = limitText === undefined ? 1000 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError('--limit must be a positive integer');
    const path = storePathOf(args.values.store);
    if (!existsSync(path)) throw new UsageError(`no store at ${path}`);
    const store = openStore({ path });
    try {
      const lineage = store.use(TUNER_LINEAGE);
      switch (command) {
        case 'status': {
          const rows = statusOf(lineage, taskId);
          if (args.values.json) io.out(JSON.stringify(rows, null, 2));
          else if (rows.length === 0) io.out('no tuned tasks');
          else {
            io.out('TASK  PAUSED  GENERATIONS  CURRENT  GENOME  LAST');
            for (const r of rows) {
              const last = r.last ? `${r.last.decision}: ${changeText(r.last)}` : '-';
              io.out(
                `${r.taskId}  ${r.paused ? 'yes' : 'no'}  ${r.generations}  ${r.current?.id ?? '-'}  ${genomeText(r.current?.genome ?? {})}  ${last}`,
              );
            }
          }
          return 0;
        }
        case 'history': {
          const rows = lineage.history(taskId, limit);
          if (args.values.json) io.out(JSON.stringify(rows, null, 2));
          else if (rows.length === 0) io.out('no generations');
          else {
            io.out('GENERATION  PARENT  TASK  DECISION  CHANGE  AUDIT');
            for (const g of rows) {
              io.out(
                `${g.id}  ${g.parentId ?? '-'}  ${g.taskId}  ${g.decision}  ${changeText(g)}  ${g.auditEntryId ?? '-'}`,
              );
            }
          }
          return 0;
        }
        default: {
          const doc = {
            format: 'fox-tuner-lineage/1',
            exportedAt: new Date().toISOString(),
            tasks: statusOf(lineage, taskId).map((s) => ({
              taskId: s.taskId,
              paused: s.paused,
              currentGeneration: s.current?.id ?? null,
              genome: s.current?.genome ?? {},
            })),
            generations: lineage.history(taskId, 1_000_000),
          };
          io.out(JSON.stringify(doc, null, 2));
          return 0;
        }
      }
    } finally {
      store.close();
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`fox tune: ${err.message}\n${USAGE}`);
    return 2;
  }
}
