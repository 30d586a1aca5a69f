import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/**
 * Writes `text` and fsyncs before returning: on disk, not only in the page cache. `flag` is
 * `'a'` to append, `'wx'` to create a file that must not exist yet. Mode 0600: everything the
 * guardian writes this way (keys, checkpoints) is private.
 */
export function writeDurably(path: string, text: string, flag: 'a' | 'wx'): void {
  const fd = openSync(path, flag, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Flushes a file someone else writes (SQLite's WAL) to disk. On Linux an fsync through any
 * descriptor flushes the file, so a read-only one will do. False when there is no such file.
 */
export function fsyncFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}
