import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { auditKeyFrom } from '../guardian/audit-key.js';
import { readCheckpointLines, type Checkpoint } from '../guardian/audit-checkpoints.js';
import { toEntry, type AuditEntry, type AuditRow } from '../guardian/audit-log.js';
import { auditPaths } from '../guardian/paths.js';
import type { SqliteDatabase as Database, SqliteStatement } from '../store/driver.js';

/**
 * `fox audit export` records (format version 1). A receiver verifies the chain from them alone
 * (scripts/audit/verify-export.mjs, docs/audit-export.md):
 * - `entry`: the stored canonical JSON (`entry`) the hash covers, its `prevHash` and `hash`
 *   (SHA-256 over `prevHash` ‖ `entry`), and its fields parsed for SIEM searches;
 * - `checkpoint`: a signed chain head (Ed25519 over `{"at","hash","seq","v":1}`), after the
 *   entry it covers, or later when it was signed later (`--follow`);
 * - one `fox-audit-export` header first, naming the signing key's id (the raw public key), which
 *   receivers pin out of band: a key read from the export itself proves nothing.
 */
export type ExportRecord = ExportHeader | ExportEntry | ExportCheckpoint;

export interface ExportHeader {
  kind: 'fox-audit-export';
  version: 1;
  /** Base64url raw Ed25519 public key of the checkpoints ('' when the store has no key). */
  keyId: string;
  /** Entries after this sequence number follow (0: from the start, genesis prev hash). */
  afterSeq: number;
  exportedAt: number;
}

/** An audit entry as exported: the entry, and the canonical JSON its hash covers. */
export interface ExportEntry extends AuditEntry {
  kind: 'entry';
  /** The canonical JSON the hash covers, exactly as stored. */
  entry: string;
}

export interface ExportCheckpoint extends Checkpoint {
  kind: 'checkpoint';
}

/** Rows read per query, so a large log streams in bounded memory. */
const BATCH = 5000;

/**
 * Reads a store's audit log as export records, in order, from where it left off: each
 * {@link next} returns what was appended (and signed) since the previous call, so
 * `--follow` is the same loop on a timer. Reads only; never signs.
 */
export class AuditExporter {
  private lastSeq: number;
  private readonly emitted = new Set<string>();
  private readonly rows: SqliteStatement;
  private headerSent = false;

  constructor(
    private readonly db: Database,
    private readonly storePath: string,
    private readonly afterSeq: number,
    private readonly now: () => number,
  ) {
    this.lastSeq = afterSeq;
    this.rows = db.prepare(
      'SELECT seq, id, at, type, entry, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
    );
  }

  /** The records available now that were not returned before (the header on the first call). */
  *next(): Generator<ExportRecord> {
    if (!this.headerSent) {
      this.headerSent = true;
      yield {
        kind: 'fox-audit-export',
        version: 1,
        keyId: keyIdOf(this.storePath),
        afterSeq: this.afterSeq,
        exportedAt: this.now(),
      };
    }
    const { checkpointsPath } = auditPaths(this.storePath);
    const from = this.lastSeq;
    // Checkpoints are read before the rows: one signed after this read waits for the next call,
    // and every one read covers a row that is already committed.
    const pending = readCheckpointLines(checkpointsPath)
      .filter((c): c is Checkpoint => c !== null && c.seq >= this.afterSeq)
      .filter((c) => !this.emitted.has(c.sig))
      .sort((a, b) => a.seq - b.seq);
    let i = 0;
    // Checkpoints of entries sent before (signed since, or the one at `afterSeq`) come first.
    while (i < pending.length && pending[i]!.seq <= from) yield this.checkpoint(pending[i++]!);
    for (;;) {
      const batch = this.rows.all(this.lastSeq, BATCH) as AuditRow[];
      for (const r of batch) {
        yield entryRecord(r);
        this.lastSeq = r.seq;
        while (i < pending.length && pending[i]!.seq <= r.seq) yield this.checkpoint(pending[i++]!);
      }
      if (batch.length < BATCH) break;
    }
  }

  private checkpoint(c: Checkpoint): ExportCheckpoint {
    this.emitted.add(c.sig);
    return {
      kind: 'checkpoint',
      seq: c.seq,
      hash: c.hash,
      at: c.at,
      keyId: c.keyId,
      sig: c.sig,
    };
  }
}

function entryRecord(r: AuditRow): ExportEntry {
  return { kind: 'entry', ...toEntry(r), entry: r.entry };
}

/** The store's audit key id (read only; '' when there is no key yet). */
function keyIdOf(storePath: string): string {
  const { keyPath } = auditPaths(storePath);
  if (!existsSync(keyPath)) return '';
  try {
    return auditKeyFrom(createPrivateKey(readFileSync(keyPath, 'utf8'))).keyId;
  } catch {
    return '';
  }
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/**
 * The sequence number after which `--since` starts: a number is a sequence number; a ULID is
 * an entry's id (export what follows it: a receiver resumes from the last id it has), or else
 * a point in time (entries whose ids sort after it). Undefined for anything else.
 */
export function resolveSince(db: Database, since: string | undefined): number | undefined {
  if (since === undefined) return 0;
  if (/^\d+$/.test(since)) return Number(since);
  if (!ULID.test(since)) return undefined;
  const id = since.toUpperCase();
  const exact = db.prepare('SELECT seq FROM audit_log WHERE id = ?').pluck().get(id) as
    number | undefined;
  if (exact !== undefined) return exact;
  const first = db.prepare('SELECT min(seq) FROM audit_log WHERE id > ?').pluck().get(id) as
    number | null;
  if (first !== null && first !== undefined) return first - 1;
  return (db.prepare('SELECT coalesce(max(seq), 0) FROM audit_log').pluck().get() as number) ?? 0;
}
