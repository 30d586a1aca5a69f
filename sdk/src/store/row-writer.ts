import type { SqliteDatabase as Database } from './driver.js';

/** Told about one row the database refused, with the error it gave. */
export type RowRejected<T> = (row: T, error: unknown) => void;

/**
 * SQLite result codes that fail one statement and leave the transaction around it open:
 * a constraint (STRICT column type, NOT NULL, foreign key…), a value too big, a datatype
 * mismatch. The statement's own changes are undone; earlier statements stand.
 */
const ROW_ERROR_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/** Whether `err` concerns the row being written (as opposed to the database or the disk). */
export function isRowError(err: unknown): boolean {
  // better-sqlite3 refuses to bind some JS values (a symbol, a BigInt out of range) itself.
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ROW_ERROR_CODES.test(code);
}

/**
 * Writes `rows` in one transaction. Without `onRejected` the first failure rolls the batch back
 * and throws. With it, a row the database refuses is handed to `onRejected` and skipped while
 * the others commit — so one bad row (from one misbehaving client) never takes a whole batch,
 * and every other client's rows in it, down with it. Failures that are not about the row (disk
 * full, I/O, a lost lock) still roll back and throw: the batch as a whole did not happen.
 */
export function writeRows<T>(
  db: Database,
  rows: readonly T[],
  write: (row: T) => void,
  onRejected?: RowRejected<T>,
): void {
  if (rows.length === 0) return;
  db.transaction(() => {
    for (const row of rows) {
      if (!onRejected) {
        write(row);
        continue;
      }
      try {
        write(row);
      } catch (err) {
        // SQLite may have rolled the transaction back itself (SQLITE_FULL, IOERR): rethrow.
        if (!isRowError(err) || !db.inTransaction) throw err;
        onRejected(row, err);
      }
    }
  })();
}
