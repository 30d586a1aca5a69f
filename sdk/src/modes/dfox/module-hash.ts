import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/**
 * The code version of a module: SHA-256 of the bytes of the file a task id names. Caller and
 * worker hash their own copies, so a worker running other code refuses the job instead of
 * running a different function under the same name. Cached by size and mtime: the hot path
 * stats the file at most once per second per file.
 */
const cache = new Map<string, { hash: string; size: number; mtimeMs: number; checkedAt: number }>();

const RECHECK_MS = 1000;

/** SHA-256 (hex) of the file's bytes; throws when it cannot be read. */
export function moduleHash(file: string, now = Date.now()): string {
  const known = cache.get(file);
  if (known && now - known.checkedAt < RECHECK_MS) return known.hash;
  const st = statSync(file);
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) {
    known.checkedAt = now;
    return known.hash;
  }
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
  cache.set(file, { hash, size: st.size, mtimeMs: st.mtimeMs, checkedAt: now });
  return hash;
}
