import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { repeatEvery, systemClock, type Clock } from '../clock/clock.js';
import { FoxError } from '../errors/errors.js';
import { registerFoxErrorClass } from '../errors/registry.js';
import type { Disposable } from '../events/emitter.js';

/** Name of the project-wide kill switch file, in the directory of the project's store. */
export const KILL_FILE_NAME = 'chaos-kill';

/** How often a watching process looks for the kill file when file events do not arrive. */
export const KILL_POLL_MS = 100;

/** Why chaos was refused: the kill switch (this process's, or the project's kill file) is on. */
export class ChaosKillSwitchError extends FoxError {
  declare readonly code: 'FOX_CHAOS_KILLED';
  /** Why the switch is on (the reason given to `fox chaos kill` or `killAllChaos`). */
  readonly reason: string;

  constructor(reason: string) {
    super('FOX_CHAOS_KILLED', `chaos is disabled by the kill switch: ${reason}`);
    this.reason = reason;
  }
}
registerFoxErrorClass(ChaosKillSwitchError, 'FOX_CHAOS_KILLED');

/** What the kill file holds (written by `fox chaos kill`). */
export interface KillFileContent {
  reason: string;
  /** Epoch ms. */
  at: number;
  /** The process that switched it on. */
  pid: number;
}

/**
 * The kill file of the project whose store is at `storePath`: next to the store (`.fox/` by
 * default), where `fox chaos kill` and every Fox process of the project agree to look. An
 * in-memory store uses `.fox/` under the working directory.
 */
export function killFilePath(storePath: string): string {
  const dir = storePath === ':memory:' || storePath === '' ? '.fox' : dirname(resolve(storePath));
  return join(resolve(dir), KILL_FILE_NAME);
}

/** Switches the project's kill switch on (atomically: readers never see half a file). */
export function writeKillFile(path: string, reason: string): KillFileContent {
  const content: KillFileContent = { reason, at: Date.now(), pid: process.pid };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content) + '\n');
  renameSync(tmp, path);
  return content;
}

/** Switches it off. Returns whether it was on. */
export function clearKillFile(path: string): boolean {
  const was = existsSync(path);
  rmSync(path, { force: true });
  return was;
}

/** The kill file's content, or undefined when the switch is off. A garbled file still kills. */
export function readKillFile(path: string): KillFileContent | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const c = JSON.parse(text) as Partial<KillFileContent>;
    return {
      reason: typeof c.reason === 'string' && c.reason !== '' ? c.reason : 'fox chaos kill',
      at: typeof c.at === 'number' ? c.at : 0,
      pid: typeof c.pid === 'number' ? c.pid : 0,
    };
  } catch {
    return { reason: 'fox chaos kill', at: 0, pid: 0 };
  }
}

/**
 * Calls `onKill` when the kill file appears (once per appearance; again after a clear and a new
 * kill). File events on its directory make that immediate where the platform delivers them; a
 * poll every {@link KILL_POLL_MS} bounds it where it does not (network drives, some containers).
 * Neither keeps the process alive.
 */
export function watchKillFile(
  path: string,
  onKill: (reason: string) => void,
  options: { pollMs?: number; clock?: Clock } = {},
): Disposable {
  let on = false;
  let disposed = false;
  const check = () => {
    if (disposed) return;
    const content = readKillFile(path);
    if (content && !on) {
      on = true;
      onKill(content.reason);
    } else if (!content) on = false;
  };
  let watcher: FSWatcher | undefined;
  try {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === null || file === name) check();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No directory yet, or no file events here: the poll covers it.
  }
  const poll = repeatEvery(options.clock ?? systemClock, options.pollMs ?? KILL_POLL_MS, check);
  check();
  return {
    dispose() {
      disposed = true;
      poll.cancel();
      watcher?.close();
    },
  };
}
