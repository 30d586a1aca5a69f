import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where a `fox profile` listens, kept next to its store so that a `fox profile` started after
 * it died (kill -9, a crash) can listen at the same place: the programs it ran keep retrying
 * the exact `FOX_PROFILER` URL they were given, port and token included.
 */
export interface SavedEndpoint {
  port: number;
  token: string;
  /** The `fox profile` process that listens there. */
  pid: number;
}

/** Shortest and longest token `fox profile` accepts (`--token` or a saved endpoint). */
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 512;

/** The endpoint file of a store: `<store>.endpoint.json`, beside it. */
export function endpointFileOf(storePath: string): string {
  return `${storePath}.endpoint.json`;
}

/** Whether `token` is one `fox profile` accepts: 16 to 512 printable ASCII characters. */
export function isUsableToken(token: string): boolean {
  return (
    token.length >= MIN_TOKEN_LENGTH &&
    token.length <= MAX_TOKEN_LENGTH &&
    /^[\x21-\x7e]+$/.test(token)
  );
}

/** Why a saved endpoint was not read. */
export type UnreadableEndpoint = 'missing' | 'not private' | 'malformed';

/**
 * Reads a saved endpoint. A file that anyone but this user could have written (another owner,
 * group or world permissions, not a plain file) is not used: its token would become the one
 * this profiler accepts, known to whoever planted it.
 */
export function readEndpoint(file: string): SavedEndpoint | UnreadableEndpoint {
  let text: string;
  try {
    const st = lstatSync(file);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0))) {
      return 'not private';
    }
    text = readFileSync(file, 'utf8');
  } catch {
    return 'missing';
  }
  try {
    const e = JSON.parse(text) as Partial<Record<keyof SavedEndpoint, unknown>>;
    const { port, token, pid } = e;
    if (
      Number.isInteger(port) &&
      (port as number) > 0 &&
      (port as number) < 65536 &&
      typeof token === 'string' &&
      isUsableToken(token) &&
      Number.isInteger(pid) &&
      (pid as number) > 0
    ) {
      return { port: port as number, token, pid: pid as number };
    }
  } catch {
    // fall through
  }
  return 'malformed';
}

/** Writes the endpoint (mode 0600, whole or not at all). Throws what the file system throws. */
export function writeEndpoint(file: string, endpoint: SavedEndpoint): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(endpoint)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the endpoint file if it is still the one `pid` wrote. Never throws. */
export function removeEndpoint(file: string, pid: number): void {
  const saved = readEndpoint(file);
  if (typeof saved !== 'object' || saved.pid !== pid) return;
  try {
    rmSync(file, { force: true });
  } catch {
    // A leftover file is harmless: the next fox profile finds its pid gone.
  }
}

/** Whether a process with this id exists (ours or another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
