import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase as Database } from './driver.js';

/** SQLite's default `wal_autocheckpoint`, restored when the background checkpointer stops. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/**
 * While the worker runs, the committing connection still checkpoints by itself past this many
 * WAL pages (~40 MB): a worker that is stuck or gone cannot let the WAL grow without bound. It
 * also fires under sustained writes with no pause at all: a PASSIVE checkpoint never blocks
 * writers, so the WAL can only start over once the worker has caught up between two commits.
 */
const FALLBACK_AUTOCHECKPOINT = 10_000;

export interface WalCheckpointerOptions {
  /**
   * How often the worker checkpoints the WAL into the database (ms). Default 100: a tick with
   * nothing new in the WAL does no I/O, and under sustained writes a short interval keeps the
   * part of the WAL not yet synced small, so the backstop checkpoint (below) stays cheap.
   */
  intervalMs?: number;
}

/** A running background checkpointer; {@link dispose} stops it and restores auto-checkpoints. */
export interface WalCheckpointer {
  /** False when it could not start (the connection then checkpoints by itself, as before). */
  readonly active: boolean;
  dispose(): void;
}

/**
 * The worker: its own connection to the same file, checkpointing (PASSIVE: never blocks or
 * waits for writers) on a timer. A data URL keeps the sdk one file per format (see the tfox
 * worker for the same choice); the driver is passed as a path so it is the copy the app loaded.
 */
const WORKER_SOURCE = String.raw`
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
const Database = createRequire(workerData.driver)(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick retries */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's WAL checkpoints off the thread that commits. In WAL mode with
 * `synchronous=NORMAL` a commit is a `write()` (tens of µs), but every ~1000 pages the commit
 * that crosses `wal_autocheckpoint` also copies the WAL into the database and fsyncs both
 * (5–50 ms on an ordinary disk), blocking the event loop and whatever decision made that
 * commit. Here a worker thread with its own connection checkpoints on a timer instead, and the
 * committing connection's auto-checkpoint is raised to a backstop. If the worker cannot start
 * (no driver to load, no file), nothing changes.
 *
 * @example
 * const db = store.use(GUARDIAN_TABLES); // the connection whose commits must not wait
 * const wal = startWalCheckpointer(db, store.path);
 * // … commits never pay for a checkpoint …
 * wal.dispose(); // before closing the connection
 */
export function startWalCheckpointer(
  db: Database,
  path: string,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  const inactive: WalCheckpointer = { active: false, dispose: () => undefined };
  const driver = loadedDriverPath();
  const isWal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  if (!driver || !isWal || path === ':memory:' || path === '') return inactive;
  let worker: Worker;
  try {
    worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
      workerData: { driver, path, intervalMs: options.intervalMs ?? 100 },
      stdout: false,
      stderr: false,
    });
  } catch {
    return inactive;
  }
  worker.unref();
  let stopped = false;
  const restore = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  };
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT}`);
  // A worker that fails (the driver throws on load, the file went away) hands checkpoints back.
  worker.once('error', () => undefined);
  worker.once('exit', () => {
    if (stopped) return;
    stopped = true;
    restore();
  });
  return {
    get active() {
      return !stopped;
    },
    dispose() {
      if (stopped) return;
      stopped = true;
      restore();
      // The worker checkpoints once more and closes its connection; nothing waits for it.
      worker.postMessage('stop');
    },
  };
}

/**
 * The file of the better-sqlite3 copy this process already loaded (the store opened it), so
 * the worker loads the same one wherever the sdk is installed; else one resolvable from the
 * working directory; else undefined.
 */
function loadedDriverPath(): string | undefined {
  const req = createRequire(join(process.cwd(), 'noop.js'));
  const loaded = Object.keys(req.cache).find((k) =>
    /[\\/]better-sqlite3[\\/]lib[\\/]index\.js$/.test(k),
  );
  if (loaded) return loaded;
  try {
    return req.resolve('better-sqlite3');
  } catch {
    return undefined;
  }
}
