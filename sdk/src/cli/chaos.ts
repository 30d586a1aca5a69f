import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ChaosExperimentError, parseExperiment } from '../chaos/experiment.js';
import {
  clearKillFile,
  KILL_FILE_NAME,
  KILL_POLL_MS,
  killFilePath,
  readKillFile,
  writeKillFile,
} from '../chaos/kill-switch.js';
import { CHAOS_REPORTS } from '../chaos/report-store.js';
import { CHAOS_ENV } from '../chaos/runtime-bridge.js';
import { openStore } from '../store/store.js';
import {
  type CommandSpec,
  type FlagValues,
  type Io,
  processIo,
  readSubcommand,
  storePathOf,
  UsageError,
} from './args.js';

const USAGE = `usage: fox chaos <command>
  run EXPERIMENT.json [--store PATH] -- COMMAND [ARGS…]   run COMMAND with the experiment
  validate EXPERIMENT.json                               check an experiment, inject nothing
  reports [ID] [--store PATH] [--json]                   saved before/during/after reports
  kill [--reason TEXT] [--store PATH]                    stop all injection in every Fox process
                                                         of this project; refuse new experiments
  kill --clear [--store PATH]                            allow experiments again
The child learns the experiment through $${CHAOS_ENV}; starting it is a guardian proposal there.
The kill switch is a file next to the store (.fox/${KILL_FILE_NAME}) that running experiments watch.`;

const FLAGS = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  reason: { type: 'string' },
  clear: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each command takes; anything else would be silently ignored. */
const COMMANDS: Record<string, CommandSpec> = {
  run: { flags: ['store'], words: 2, rest: true },
  validate: { flags: [], words: 2 },
  reports: { flags: ['store', 'json'], words: 2 },
  kill: { flags: ['reason', 'clear', 'store'], words: 1 },
};

const TOOL = { name: 'chaos', usage: USAGE, flags: FLAGS, commands: COMMANDS };

/** `fox chaos …`. Exit 0 ok, 1 child/refusal failure, 2 usage or invalid experiment. */
export async function chaosMain(argv: readonly string[], io: Io = processIo): Promise<number> {
  const args = readSubcommand(TOOL, argv, io);
  if (typeof args === 'number') return args;
  const { command } = args;
  const [, target] = args.positionals;
  try {
    switch (command) {
      case 'validate': {
        const e = loadExperiment(target);
        io.out(`ok: ${e.name} (seed ${e.seed}, ${e.method.length} step(s), ${e.durationMs} ms)`);
        return 0;
      }
      case 'run': {
        const file = resolve(target ?? '');
        loadExperiment(target); // nothing starts unless the experiment is valid
        const [cmd, ...cmdArgs] = args.rest;
        if (!cmd) throw new UsageError('run needs a command after --');
        const env: NodeJS.ProcessEnv = { ...process.env, [CHAOS_ENV]: file };
        const store = args.values.store;
        if (store) env['FOX_STORE'] = resolve(store);
        return await new Promise<number>((done) => {
          const child = spawn(cmd, cmdArgs, { stdio: 'inherit', env });
          const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
          const onInt = forward('SIGINT');
          const onTerm = forward('SIGTERM');
          process.on('SIGINT', onInt);
          process.on('SIGTERM', onTerm);
          const cleanup = () => {
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
          };
          child.on('error', (err) => {
            cleanup();
            io.err(`fox chaos: cannot start ${cmd}: ${err.message}`);
            done(1);
          });
          child.on('exit', (code, signal) => {
            cleanup();
            done(code ?? (signal ? 1 : 0));
          });
        });
      }
      case 'reports': {
        const path = storePathOf(args.values.store);
        if (!existsSync(path)) throw new UsageError(`no store at ${path}`);
        const store = openStore({ path });
        try {
          const reports = store.use(CHAOS_REPORTS);
          const saved = target ? reports.get(target) : undefined;
          const rows = target ? (saved ? [saved] : []) : reports.latest(50);
          if (args.values.json || target) {
            io.out(
              JSON.stringify(
                rows.map((r) => JSON.parse(r.report) as unknown),
                null,
                2,
              ),
            );
          } else if (rows.length === 0) io.out('no chaos reports');
          else {
            for (const r of rows) {
              io.out(
                `${r.experimentId}  ${r.outcome.padEnd(9)}  ${new Date(r.startedAt).toISOString()}  ${r.name}`,
              );
            }
          }
          return 0;
        } finally {
          store.close();
        }
      }
      case 'kill':
        return kill(args.values, io);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fox chaos: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof ChaosExperimentError) {
      io.err(`fox chaos: ${err.message}`);
      for (const i of err.issues.slice(1)) io.err(`  ${i}`);
      return 2;
    }
    throw err;
  }
}

/** Most characters of a kill reason (the wire carries 256). */
const MAX_REASON = 256;

/** `fox chaos kill [--reason TEXT] [--clear]`: the project-wide kill switch. */
function kill(values: FlagValues<typeof FLAGS>, io: Io): number {
  const path = killFilePath(storePathOf(values.store));
  if (values.clear) {
    if (values.reason !== undefined) throw new UsageError('--clear takes no --reason');
    io.out(
      clearKillFile(path)
        ? `chaos kill switch cleared (${path}); experiments may start again`
        : `the chaos kill switch was not on (${path})`,
    );
    return 0;
  }
  const reason = (values.reason ?? 'fox chaos kill').slice(0, MAX_REASON);
  const before = readKillFile(path);
  writeKillFile(path, reason);
  io.out(
    `chaos kill switch ${before ? 'still on' : 'on'} (${path}): running experiments of this ` +
      `project stop injecting within ~${KILL_POLL_MS} ms, and new ones are refused until ` +
      '`fox chaos kill --clear`',
  );
  return 0;
}

function loadExperiment(file: string | undefined) {
  if (!file) throw new UsageError('missing EXPERIMENT.json');
  if (!existsSync(file)) throw new ChaosExperimentError(`no experiment file ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ChaosExperimentError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return parseExperiment(json);
}
