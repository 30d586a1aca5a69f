import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { PROFILER_ENV_VAR } from '../profiler-env.js';
import { foxTaskEnv, type FoxTaskDefinition } from './fox-task.js';

/** What a terminal offers a running command (a VS Code Pseudoterminal's two events). */
export interface TerminalSink {
  write(text: string): void;
  /** The command ended with this exit code. */
  close(exitCode: number): void;
}

export interface ProfiledRunOptions {
  definition: FoxTaskDefinition;
  /** Absolute working directory. */
  cwd: string;
  /** The profiler's `FOX_PROFILER` URL, starting it if needed; rejects when it cannot start. */
  profilerUrl(): Promise<string>;
  /** Default: this process's environment. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * One run of a `fox` task: starts the profiler if needed, then runs the command line in a
 * shell with `FOX_PROFILER` set, streaming its output to a terminal. Kept free of VS Code so it
 * is tested with real processes; the task provider wraps it in a Pseudoterminal.
 *
 * The command runs in its own process group, so stopping the task also stops what it started
 * (`npm run` → `node`). A profiler that cannot start does not stop the command: it runs without.
 */
export class ProfiledRun {
  private child: ChildProcess | undefined;
  private stopped = false;
  private done = false;

  constructor(private readonly options: ProfiledRunOptions) {}

  async open(sink: TerminalSink): Promise<void> {
    const { definition, cwd } = this.options;
    let url: string | undefined;
    try {
      url = await this.options.profilerUrl();
      sink.write(`Fox profiler: ${PROFILER_ENV_VAR}=${redactToken(url)}\r\n`);
    } catch (err) {
      sink.write(`Fox profiler could not start (${messageOf(err)}); running without it.\r\n`);
    }
    if (this.stopped) return this.finish(sink, 130);
    sink.write(`> ${definition.command}\r\n\r\n`);
    const child = spawn(definition.command, {
      shell: true,
      cwd,
      env: foxTaskEnv(this.options.baseEnv ?? process.env, definition, url),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (s: string) => sink.write(toTerminalText(s)));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => sink.write(toTerminalText(s)));
    child.stdin?.on('error', () => undefined); // the command may exit before reading its input
    child.on('error', (err) => {
      sink.write(`\r\nfox task: cannot run the command: ${err.message}\r\n`);
      this.finish(sink, 127);
    });
    child.on('close', (code, signal) => this.finish(sink, exitCodeOf(code, signal)));
  }

  /** Typed input: Ctrl+C interrupts the command, anything else goes to its stdin (echoed). */
  input(data: string, sink?: TerminalSink): void {
    const child = this.child;
    if (!child || this.done) return;
    if (data.includes('\x03')) {
      this.signal('SIGINT');
      return;
    }
    sink?.write(toTerminalText(data.replace(/\r/g, '\n')));
    child.stdin?.write(data.replace(/\r/g, '\n'));
  }

  /** The terminal was closed or the task terminated: stop the command and what it started. */
  stop(): void {
    this.stopped = true;
    if (!this.done) this.signal('SIGTERM');
  }

  /** The running command's pid, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === 'win32') this.child?.kill(signal);
      else process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  private finish(sink: TerminalSink, code: number): void {
    if (this.done) return;
    this.done = true;
    sink.close(code);
  }
}

/** Terminals need CRLF; programs write LF. */
export function toTerminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The URL without its token, for what the terminal shows (the token is the profiler's key). */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&]*/, '$1…');
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
