import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_STORE_PATH } from '@fox/sdk/store';
import { startProfiler, type Profiler, type ProfilerOptions } from '../server/profiler-server.js';
import { DEFAULT_REPORTS_DIR, writeReport, writeStoredReport } from '../report/report.js';
import {
  isUsableToken,
  MAX_TOKEN_LENGTH,
  MIN_TOKEN_LENGTH,
  removeEndpoint,
} from './endpoint-file.js';
import { planEndpoint, saveEndpoint, type EndpointPlan } from './endpoint-plan.js';
import { parseProfileArgs, ProfileUsageError, type ProfileArgs } from './profile-args.js';
import { TerminalView } from './terminal-view.js';

const USAGE = `usage: fox profile [options] -- <command> [args…]
       fox profile --report <store.db> [--session <id>] [--reports <dir>]

Runs <command> with FOX_PROFILER set, shows live numbers, and writes an HTML report on exit.
With --report, writes the report of a run stored earlier (the latest, or --session <id>).

options:
  --port <n>         collector port (default: random, or the previous run's, see below)
  --token <t>        collector token, ${MIN_TOKEN_LENGTH}–${MAX_TOKEN_LENGTH} printable ASCII characters (default: random)
  --store <path>     SQLite store (default ${DEFAULT_STORE_PATH}; --no-store keeps nothing)
  --reports <dir>    where the report goes (default ${DEFAULT_REPORTS_DIR})
  --no-report        do not write a report
  --approver <name>  the name the live page approves proposals as (default: what it remembers)
  --quiet            no live table

The endpoint (port, token) is kept in <store>.endpoint.json while fox profile runs. If a
fox profile dies without cleaning up (kill -9), the next one on the same store listens on the
same port with the same token, so the programs the first one started reconnect to it.
With --no-store nothing is kept: pass --port and --token yourself to get the same.
`;

export interface ProfileIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * `fox profile -- node app.js`: returns the child's exit code (or 2 for a usage error). The
 * `fox` bin dispatches here with the arguments after `profile`.
 */
export async function main(
  argv: readonly string[],
  io: ProfileIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let args: ProfileArgs;
  try {
    args = parseProfileArgs(argv);
  } catch (err) {
    if (!(err instanceof ProfileUsageError)) throw err;
    io.stderr.write(`fox profile: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const { command, token, store, reports, quiet, approver, report: fromStore, session } = args;
  const port = args.port === undefined ? undefined : Number(args.port);
  if (fromStore !== undefined && command.length === 0) {
    return reportOnly(fromStore, session, reports === false ? DEFAULT_REPORTS_DIR : reports, io);
  }
  if (
    command.length === 0 ||
    (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) ||
    (token !== undefined && !isUsableToken(token)) ||
    approver === '' ||
    fromStore !== undefined
  ) {
    io.stderr.write(USAGE);
    return 2;
  }

  const plan = await planEndpoint({
    storePath: store,
    ...(port === undefined ? {} : { port }),
    ...(token === undefined ? {} : { token }),
  });
  for (const note of plan.notes) io.stderr.write(`${note}\n`);
  const profiler = await listen(plan, port !== undefined, io, {
    storePath: store,
    ...(approver === undefined ? {} : { approver }),
    onError: (err) => io.stderr.write(`fox profile: ${String(err)}\n`),
  });
  if (!profiler) return 1;
  // Written before the child starts: a kill -9 from here on leaves programs a restart finds.
  const ownsEndpoint = trySaveEndpoint(plan, profiler, io);
  io.stdout.write(`fox profile: live UI at ${profiler.uiUrl}\n`);
  const view = new TerminalView(io.stdout, io.stdout.isTTY === true);
  const timer = quiet ? undefined : setInterval(() => view.update(profiler.state()), 1000);

  const child = spawn(command[0]!, command.slice(1), {
    stdio: 'inherit',
    env: { ...io.env, FOX_PROFILER: profiler.url },
  });
  // Ctrl-C reaches the child through the terminal's process group; a kill of us is forwarded.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onTerm = forward('SIGTERM');
  const onInt = () => {};
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      io.stderr.write(`fox profile: cannot start ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  if (timer) clearInterval(timer);
  // Let the last frames the child flushed on exit arrive.
  await new Promise((r) => setTimeout(r, 200));
  if (!quiet) {
    view.update(profiler.state());
    view.finish();
  }
  const written = reports === false ? undefined : await report(profiler, reports, io);
  await profiler.close(); // idempotent: report() has closed it already
  if (ownsEndpoint && plan.file !== undefined) removeEndpoint(plan.file, process.pid);
  if (written)
    // Absolute: `npm start` runs this in the package's folder, not where the user typed it.
    io.stdout.write(`fox profile: report written to ${resolve(written)}\n`);
  return code;
}

/**
 * Starts the profiler where the plan says. When the port of a previous run is taken by now,
 * listens on a random one instead (its programs cannot come back, and the user is told); an
 * explicit `--port` that is taken is an error (undefined, after saying so).
 */
async function listen(
  plan: EndpointPlan,
  explicitPort: boolean,
  io: ProfileIo,
  options: ProfilerOptions,
): Promise<Profiler | undefined> {
  const start = (port: number | undefined) =>
    startProfiler({
      ...options,
      ...(port === undefined ? {} : { port }),
      ...(plan.token === undefined ? {} : { token: plan.token }),
    });
  try {
    return await start(plan.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || plan.port === undefined) throw err;
    if (explicitPort) {
      io.stderr.write(`fox profile: port ${plan.port} is in use\n`);
      return undefined;
    }
    io.stderr.write(
      `fox profile: port ${plan.port} of the previous fox profile is taken; listening on a ` +
        'new port, so the programs it started cannot reconnect\n',
    );
    return start(undefined);
  }
}

/** Keeps the endpoint beside the store; a failure to is reported, never fatal. */
function trySaveEndpoint(plan: EndpointPlan, profiler: Profiler, io: ProfileIo): boolean {
  try {
    return saveEndpoint(plan, { port: profiler.port, token: profiler.token, pid: process.pid });
  } catch (err) {
    io.stderr.write(`fox profile: could not save the endpoint: ${String(err)}\n`);
    return false;
  }
}

/**
 * Closes the profiler and writes the report. Without a store it can only come from memory (the
 * recent history); with one, the profiler closes first (flushing every row) and the report is
 * rebuilt from the file, whole run included.
 */
async function report(profiler: Profiler, dir: string, io: ProfileIo): Promise<string | undefined> {
  const { storePath, sessionId } = profiler;
  if (storePath === undefined) {
    const file = await tryWrite(() => writeReport(profiler, dir), io);
    await profiler.close();
    return file;
  }
  await profiler.close();
  return tryWrite(
    () => writeStoredReport({ storePath, dir, ...(sessionId === undefined ? {} : { sessionId }) }),
    io,
  );
}

async function tryWrite(write: () => Promise<string>, io: ProfileIo): Promise<string | undefined> {
  try {
    return await write();
  } catch (err) {
    io.stderr.write(`fox profile: could not write the report: ${String(err)}\n`);
    return undefined;
  }
}

/** `fox profile --report <db>`: 0 when written, 1 when the store has no such run. */
async function reportOnly(
  storePath: string,
  sessionId: string | undefined,
  dir: string,
  io: ProfileIo,
): Promise<number> {
  if (storePath === '' || !existsSync(storePath)) {
    io.stderr.write(`fox profile: no store at '${storePath}'\n${USAGE}`);
    return 2;
  }
  const file = await tryWrite(
    () => writeStoredReport({ storePath, dir, ...(sessionId === undefined ? {} : { sessionId }) }),
    io,
  );
  if (!file) return 1;
  io.stdout.write(`fox profile: report written to ${resolve(file)}\n`);
  return 0;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
