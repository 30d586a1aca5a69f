import { isAbsolute, join } from 'node:path';
import type { Profiler, ProfilerOptions } from '@fox/profiler';
import type { StartProfiler } from './profiler-host.js';

/** Where the profiler keeps telemetry, or why it keeps none. */
export type StoreChoice = { path: string } | { path: false; reason: string };

/** The `fox.profiler.storePath` setting against the first workspace folder. */
export function storeChoice(folder: string | undefined, configured: string): StoreChoice {
  if (configured === '') return { path: false, reason: 'fox.profiler.storePath is empty' };
  if (isAbsolute(configured)) return { path: configured };
  if (!folder) return { path: false, reason: 'no workspace folder is open' };
  return { path: join(folder, configured) };
}

export interface StartLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Starts the profiler on the chosen store, or in memory when that store cannot be opened (a
 * .vsix carries no native modules, so better-sqlite3 may not load), and says in the log where
 * it listens and what it stores in — or why nothing.
 */
export async function startWithStore(
  start: StartProfiler,
  options: ProfilerOptions,
  choice: StoreChoice,
  log: StartLog,
): Promise<Profiler> {
  const inMemory = 'telemetry is kept in memory only';
  let profiler: Profiler;
  let store: string;
  if (choice.path === false) {
    profiler = await start({ ...options, storePath: false });
    store = `none (${choice.reason}); ${inMemory}`;
  } else {
    try {
      profiler = await start({ ...options, storePath: choice.path });
      store = choice.path;
    } catch (err) {
      profiler = await start({ ...options, storePath: false });
      store = `none (${choice.path} could not be opened: ${messageOf(err)}); ${inMemory}`;
    }
  }
  log.info(`profiler listening on 127.0.0.1:${profiler.port}`);
  if (profiler.storePath === undefined && choice.path !== false) {
    log.warn(`profiler store: ${store}`);
  } else {
    log.info(`profiler store: ${store}`);
  }
  return profiler;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
