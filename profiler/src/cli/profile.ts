import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { startProfiler, type Profiler } from '../server/profiler-server.js';
import { writeReport, writeStoredReport } from '../report/report.js';
import { TerminalView } from './terminal-view.js';

const USAGE = `usage: fox profile [options] -- <command> [args…]
       fox profile --report <store.db> [--session <id>] [--reports <dir>]

Runs <command> with FOX_PROFILER set, shows live numbers, and writes an HTML report on exit.
With --report, writes the report of a run stored earlier (the latest, or --session <id>).

options:
  --port <n>         collector port (default: random)
  --store <path>     SQLite store (default .fox/fox.db; --no-store keeps nothing)
  --reports <dir>    where the report goes (default .fox/reports)
  --no-report        do not write a report
  --approver <name>  the name the live page approves proposals as (default: what it remembers)
  --quiet            no live table
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
  const sep = argv.indexOf('--');
  // `--report <db>` and `--help` run nothing, so they need no `--`; otherwise everything is
  // the command.
  const optionsOnly = sep < 0 && ['--report', '--help', '-h'].includes(argv[0] ?? '');
  const opts = sep >= 0 ? argv.slice(0, sep) : optionsOnly ? [...argv] : [];
  const command = sep >= 0 ? argv.slice(sep + 1) : optionsOnly ? [] : [...argv];
  let port: number | undefined;
  let store: string | false = '.fox/fox.db';
  let reports: string | false = '.fox/reports';
  let quiet = false;
  let approver: string | undefined;
  let fromStore: string | undefined;
  let session: string | undefined;
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i]!;
    const value = (): string | undefined => opts[++i];
    if (a === '--port') port = Number(value());
    else if (a === '--approver') approver = value();
    else if (a === '--report') fromStore = value() ?? '';
    else if (a === '--session') session = value();
    else if (a === '--store') store = value() ?? store;
    else if (a === '--no-store') store = false;
    else if (a === '--reports') reports = value() ?? reports;
    else if (a === '--no-report') reports = false;
    else if (a === '--quiet') quiet = true;
    else if (a === '--help' || a === '-h') {
      io.stdout.write(USAGE);
      return 0;
    } else {
      io.stderr.write(`fox profile: unknown option ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (fromStore !== undefined && sep < 0) {
    return reportOnly(fromStore, session, reports === false ? '.fox/reports' : reports, io);
  }
  if (
    command.length === 0 ||
    (port !== undefined && !Number.isInteger(port)) ||
    approver === '' ||
    fromStore !== undefined
  ) {
    io.stderr.write(USAGE);
    return 2;
  }

  const profiler = await startProfiler({
    storePath: store,
    ...(approver === undefined ? {} : { approver }),
    ...(port === undefined ? {} : { port }),
    onError: (err) => io.stderr.write(`fox profile: ${String(err)}\n`),
  });
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
  if (written)
    io.stdout.write(`fox profile: report written to ${relative(process.cwd(), written)}\n`);
  return code;
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
  io.stdout.write(`fox profile: report written to ${relative(process.cwd(), file)}\n`);
  return 0;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
