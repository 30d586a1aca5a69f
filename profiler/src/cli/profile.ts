import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { startProfiler } from '../server/profiler-server.js';
import { writeReport } from '../report/report.js';
import { TerminalView } from './terminal-view.js';

const USAGE = `usage: fox profile [options] -- <command> [args…]

Runs <command> with FOX_PROFILER set, shows live numbers, and writes an HTML report on exit.

options:
  --port <n>         collector port (default: random)
  --store <path>     SQLite store (default .fox/fox.db; --no-store keeps nothing)
  --reports <dir>    where the report goes (default .fox/reports)
  --no-report        do not write a report
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
  const opts = sep >= 0 ? argv.slice(0, sep) : [];
  const command = sep >= 0 ? argv.slice(sep + 1) : [...argv];
  let port: number | undefined;
  let store: string | false = '.fox/fox.db';
  let reports: string | false = '.fox/reports';
  let quiet = false;
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i]!;
    const value = (): string | undefined => opts[++i];
    if (a === '--port') port = Number(value());
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
  if (command.length === 0 || (port !== undefined && !Number.isInteger(port))) {
    io.stderr.write(USAGE);
    return 2;
  }

  const profiler = await startProfiler({
    storePath: store,
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
  if (reports !== false) {
    try {
      const file = await writeReport(profiler, reports);
      io.stdout.write(`fox profile: report written to ${relative(process.cwd(), file)}\n`);
    } catch (err) {
      io.stderr.write(`fox profile: could not write the report: ${String(err)}\n`);
    }
  }
  await profiler.close();
  return code;
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
