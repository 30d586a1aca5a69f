import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FOX_BIN = fileURLToPath(new URL('../../bin/fox.js', import.meta.url));
/** The sdk package: the project root the fixtures' task ids are relative to. */
export const SDK_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `fox worker` child process, as users start one (the real CLI through the sdk's sources). */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed. */
  output(): string;
  /** Ends it with `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `fox worker <args>` (or another entry that runs the worker CLI) and resolves once it
 * prints that it is ready.
 */
export async function startWorkerProcess(
  args: string[],
  env: Record<string, string> = {},
  entry: string[] = [FOX_BIN, 'worker'],
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', ...entry, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in 30 s:\n${out}`)), 30_000);
    const check = (): void => {
      if (out.includes('fox worker: ready')) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      await exited;
    },
  };
}
