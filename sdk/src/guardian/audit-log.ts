import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import type {
  SqliteDatabase as Database,
  SqliteStatement as Statement,
  SqliteTransaction as Transaction,
} from '../store/driver.js';
import type { AuditKey } from './audit-key.js';
import { fsyncFile } from './durable-file.js';
import {
  CHECKPOINT_EVERY_ENTRIES,
  CHECKPOINT_EVERY_MS,
  CheckpointWriter,
  checkpointMessage,
  readCheckpointLines,
  readCheckpoints,
  type ChainHead,
  type Checkpoint,
} from './audit-checkpoints.js';
import { fastUlid as ulid } from './ulid.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

export { CHECKPOINT_EVERY_ENTRIES, CHECKPOINT_EVERY_MS, readCheckpoints, type Checkpoint };

/** Hash linked before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One event in the log as callers give it. `data` must be JSON (canonicalJson rules). */
export interface AuditEvent {
  /** e.g. `proposal`, `approval`, `rejection`, `decision`, `applied`, `apply-failed`, `chaos`. */
  type: string;
  data: Record<string, unknown>;
}

/** One stored entry. `entry` is the canonical JSON the hash covers. */
export interface AuditEntry {
  seq: number;
  id: string;
  at: number;
  type: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  seq: number | null;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Sequence number the newest valid checkpoint covers (0 without one). */
  checkpointedTo: number;
  /**
   * Entries after the newest valid checkpoint: appended less than {@link CHECKPOINT_EVERY_MS}
   * before the writer died, or appended by someone without the key. Nothing proves they were
   * not added, edited or removed after the fact (see docs/audit.md).
   */
  unsignedTail: number;
  /** Id of the public key the checkpoints were checked with: pin it to detect a key swap. */
  keyId: string;
  problems: AuditProblem[];
}

export interface AuditLogOptions {
  db: Database;
  key: AuditKey;
  /** JSONL file of signed checkpoints, outside the database. */
  checkpointsPath: string;
  /** Time for the tail signature and, unless `now` is given, entry timestamps. */
  clock?: Clock;
  /** Wall clock, epoch ms (default: `clock.wallNow`). */
  now?: () => number;
}

/** A row of `audit_log` as SQLite returns it. */
export interface AuditRow {
  seq: number;
  id: string;
  at: number;
  type: string;
  entry: string;
  prev_hash: string;
  hash: string;
}

/** The hash of an entry: SHA-256 over the previous hash and the canonical entry. */
export function linkHash(prevHash: string, entry: string): string {
  return sha256Hex(prevHash + entry);
}

/** Open logs, whose pending entries are signed when the process exits. */
const openLogs = new Set<AuditLog>();
let exitHookInstalled = false;

function signAtExit(): void {
  for (const log of openLogs) {
    try {
      log.signPending();
    } catch {
      // Exiting: a checkpoint that cannot be written is what verify reports.
    }
  }
}

/**
 * The tamper-evident audit log: an append-only table whose entries are hash-chained, plus
 * Ed25519-signed checkpoints of the chain head in a file outside the database. The chain makes
 * any edit, deletion or reorder of rows visible; the checkpoints make a truncated tail visible
 * (a chain cut short is still a valid chain) and pin the head so the whole table cannot be
 * rewritten without the key.
 *
 * Appends from several processes on the same store (the app, `fox approvals`) are serialised by
 * a `BEGIN IMMEDIATE` transaction that reads the head and writes the next entries.
 *
 * Durability (docs/audit.md says it for users): the store commits in WAL mode with
 * `synchronous=NORMAL`, so a committed entry survives a crash or `kill -9` of the process at
 * once, and a power loss once the WAL is synced — by the store's background WAL checkpoints
 * (every 100 ms) or by the next signed checkpoint, which syncs the WAL before it is written.
 * A signed checkpoint therefore never points past what survives a power loss. What a power
 * loss can take is the unsigned tail (under a second); the guardian's in-memory changes made in
 * that window go with the process too. `FULL` would fsync every decision (0.5–1 ms here, more
 * than the whole decision costs); the checkpoint's sync costs that at most once a second.
 */
export class AuditLog {
  private readonly db: Database;
  private readonly now: () => number;
  private readonly checkpoints: CheckpointWriter;
  private readonly insert: Statement;
  private readonly head: Statement;
  private readonly hashAt: Statement;
  private readonly appendTx: Transaction<(events: readonly AuditEvent[]) => AuditEntry[]>;
  /** Signs the tail {@link CHECKPOINT_EVERY_MS} after an append left it unsigned. */
  private readonly clock: Clock;
  private tailTimer: TimerHandle | undefined;
  private flushScheduled: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.db = options.db;
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? (() => this.clock.wallNow());
    this.insert = this.db.prepare(
      'INSERT INTO audit_log (seq, id, at, type, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.head = this.db.prepare('SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.hashAt = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
    this.appendTx = this.db.transaction((events: readonly AuditEvent[]) => this.write(events));
    this.checkpoints = new CheckpointWriter(options.key, options.checkpointsPath, this.now(), () =>
      syncWal(this.db),
    );
    openLogs.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', signAtExit);
    }
  }

  /** Appends one event and returns it with its hash. Throws when the store refuses the write. */
  append(event: AuditEvent): AuditEntry {
    return this.appendAll([event])[0]!;
  }

  /**
   * Appends events in order, reading the chain head once, and returns them with their hashes.
   * Inside the caller's transaction (the guardian's) they commit or roll back with it; otherwise
   * they commit together in one `BEGIN IMMEDIATE` transaction.
   */
  appendAll(events: readonly AuditEvent[]): AuditEntry[] {
    const entries = this.db.inTransaction ? this.write(events) : this.appendTx.immediate(events);
    for (const e of entries) {
      if (this.checkpoints.isDue(e.seq, e.at)) this.checkpoints.enqueue(e);
    }
    if (this.checkpoints.queued > 0) this.scheduleFlush();
    this.scheduleTailSignature();
    return entries;
  }

  /** Makes sure the newest entry is signed within {@link CHECKPOINT_EVERY_MS}, however quiet. */
  private scheduleTailSignature(): void {
    if (this.tailTimer) return;
    this.tailTimer = this.clock.setTimeout(() => {
      this.tailTimer = undefined;
      try {
        this.signPending();
      } catch {
        // The file or the store refused: the next append tries again; verify counts the tail.
      }
      // Still unsigned (the store was inside a transaction): try again after another period.
      if (this.db.open && this.unsignedCount() > 0) this.scheduleTailSignature();
    }, CHECKPOINT_EVERY_MS);
    // The timer never keeps a program alive: the exit hook signs what it leaves.
    this.tailTimer.unref?.();
  }

  private write(events: readonly AuditEvent[]): AuditEntry[] {
    const head = this.head.get() as ChainHead | undefined;
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const out: AuditEntry[] = [];
    for (const { type, data } of events) {
      seq++;
      const at = this.now();
      const id = ulid(at);
      const canonical = canonicalJson({ seq, id, at, type, data });
      const hash = linkHash(prevHash, canonical);
      this.insert.run(seq, id, at, type, canonical, prevHash, hash);
      out.push({ seq, id, at, type, data, prevHash, hash });
      prevHash = hash;
    }
    return out;
  }

  /**
   * Writes queued checkpoints once the transaction that made them due has committed. A backlog
   * (the event loop has not turned for another 100 entries) is written at once rather than
   * let the gap between checkpoints grow.
   */
  private scheduleFlush(): void {
    if (this.checkpoints.queued > 1 && !this.db.inTransaction) {
      this.flushCheckpoints();
      return;
    }
    this.flushScheduled ??= setImmediate(() => {
      this.flushScheduled = undefined;
      try {
        this.flushCheckpoints();
      } catch {
        // Retried at the next due point, the timer or close(); verify reports a gap meanwhile.
      }
    });
  }

  /** Writes the checkpoints that are due now (normally done on the next turn of the event loop). */
  flushCheckpoints(): Checkpoint[] {
    // Inside a transaction its uncommitted rows would pass the check below: wait for the commit.
    if (this.db.inTransaction || !this.db.open) return [];
    return this.checkpoints.flush((h) => this.hashAt.get(h.seq) === h.hash);
  }

  /** Entries after the newest checkpoint this process knows of. */
  private unsignedCount(): number {
    const head = this.head.get() as ChainHead | undefined;
    return (head?.seq ?? 0) - this.checkpoints.writtenSeq;
  }

  /**
   * Signs every entry not covered yet (queued checkpoints, then the head): run by the tail
   * timer, at exit and on close. A no-op inside a transaction, whose rows may still roll back.
   */
  signPending(): void {
    if (this.db.inTransaction || !this.db.open) return;
    this.flushCheckpoints();
    if (this.unsignedCount() > 0) this.checkpoint();
  }

  /** Signs the current head and appends it to the checkpoints file. No-op on an empty log. */
  checkpoint(): Checkpoint | undefined {
    this.flushCheckpoints();
    const head = this.head.get() as ChainHead | undefined;
    if (!head) return undefined;
    return this.checkpoints.write([{ seq: head.seq, hash: head.hash, at: this.now() }])[0];
  }

  /**
   * The newest entry about a proposal (its creation, a vote, its decision or its application):
   * what the editor cites as the record behind a running change.
   */
  latestAbout(proposalId: string): AuditEntry | undefined {
    const row = this.db
      .prepare(
        "SELECT * FROM audit_log WHERE json_extract(entry, '$.data.proposalId') = ? ORDER BY seq DESC LIMIT 1",
      )
      .get(proposalId) as AuditRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** Every entry, oldest first (or from `sinceSeq` exclusive). */
  entries(sinceSeq = 0): AuditEntry[] {
    return readAuditEntries(this.db, sinceSeq);
  }

  /** Signs every pending entry and stops the timers. */
  close(): void {
    if (this.tailTimer) this.clock.clearTimeout(this.tailTimer);
    this.tailTimer = undefined;
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = undefined;
    openLogs.delete(this);
    this.signPending();
  }

  /** See {@link verifyAuditLog}. */
  verify(): VerifyResult {
    return verifyAuditLog(this.db, this.options.key, this.options.checkpointsPath);
  }
}

/** The log's entries after `sinceSeq`, oldest first. Reads only (no key, no signing). */
export function readAuditEntries(db: Database, sinceSeq = 0): AuditEntry[] {
  const rows = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq').all(sinceSeq);
  return (rows as AuditRow[]).map(toEntry);
}

/**
 * Flushes the database's WAL to disk. The store commits with `synchronous=NORMAL`, which syncs
 * the WAL only at WAL checkpoints; entries committed since may still be in the page cache.
 * Frames already copied into the database file were synced by the WAL checkpoint that copied
 * them.
 */
function syncWal(db: Database): void {
  // No WAL file: nothing is pending outside the synced database file.
  if (!db.memory && db.name) fsyncFile(`${db.name}-wal`);
}

/** An audit row as an entry; an entry whose JSON does not parse has no data (verify reports it). */
export function toEntry(r: AuditRow): AuditEntry {
  let data: Record<string, unknown> = {};
  try {
    data = (JSON.parse(r.entry) as { data?: Record<string, unknown> }).data ?? {};
  } catch {
    // Listed and exported as stored: verify reports the entry.
  }
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    type: r.type,
    data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Re-derives every entry's canonical form and hash link and checks the signed checkpoints:
 * - `seq` runs 1..n without gaps and matches the seq inside the entry (deletions, reorders);
 * - the stored entry is canonical JSON and its columns agree with it (edits);
 * - `prev_hash` is the previous row's hash and `hash` = SHA-256(prev ‖ entry) (edits, splices);
 * - every checkpoint's signature is valid, its seq exists and its hash is the row's hash there
 *   (rewrites), and the newest checkpoint is not beyond the last row (tail truncation).
 */
export function verifyAuditLog(db: Database, key: AuditKey, checkpointsPath: string): VerifyResult {
  const problems: AuditProblem[] = [];
  const hashes = new Map<number, string>();
  let count = 0;
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  const report = (seq: number | null, problem: string) => {
    if (problems.length < 1000) problems.push({ seq, problem });
  };
  try {
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>;
    for (const r of rows) {
      count++;
      if (r.seq !== expectSeq) report(r.seq, `expected seq ${expectSeq}, found ${r.seq}`);
      expectSeq = r.seq + 1;
      let parsed: { seq?: unknown; id?: unknown; at?: unknown; type?: unknown } | undefined;
      try {
        parsed = JSON.parse(r.entry) as typeof parsed;
        if (canonicalJson(parsed) !== r.entry) report(r.seq, 'entry is not canonical JSON');
      } catch {
        report(r.seq, 'entry is not valid JSON');
      }
      if (parsed) {
        if (parsed.seq !== r.seq) report(r.seq, `entry says seq ${String(parsed.seq)}`);
        if (parsed.id !== r.id || parsed.at !== r.at || parsed.type !== r.type) {
          report(r.seq, 'row columns disagree with the entry');
        }
      }
      if (r.prev_hash !== prev) report(r.seq, 'prev_hash does not link to the previous entry');
      const expected = linkHash(r.prev_hash, r.entry);
      if (r.hash !== expected) report(r.seq, 'hash does not match the entry');
      hashes.set(r.seq, r.hash);
      prev = r.hash;
    }
  } catch (err) {
    report(null, `cannot read the audit log: ${(err as Error).message}`);
  }

  const lines = readCheckpointLines(checkpointsPath);
  let checkpointedTo = 0;
  // Each checkpoint stands on its own (a signed seq and hash, checked against the log), so their
  // order in the file proves nothing: processes sharing a store append theirs independently.
  for (const c of lines) {
    if (c === null) {
      report(null, 'malformed checkpoint line');
      continue;
    }
    if (!key.verify(checkpointMessage(c), c.sig)) {
      report(c.seq, 'checkpoint signature is invalid');
      continue;
    }
    const h = hashes.get(c.seq);
    if (h === undefined) {
      report(c.seq, `checkpoint covers seq ${c.seq} but the log ends at ${count} (truncated)`);
    } else if (h !== c.hash) {
      report(c.seq, 'checkpoint hash differs from the log (rewritten)');
    } else {
      checkpointedTo = Math.max(checkpointedTo, c.seq);
    }
  }
  // A checkpoint is written for every 100th entry (right after its commit), within a second of
  // any entry and at exit, so more than 100 after the last valid one means checkpoints were
  // removed (the file deleted or cut short). Fewer is a tail a killed writer left unsigned:
  // reported in `unsignedTail`, a failure only for `fox audit verify --require-signed-tail`.
  if (count - checkpointedTo >= CHECKPOINT_EVERY_ENTRIES) {
    report(
      null,
      `${count - checkpointedTo} entries after the last valid checkpoint (seq ${checkpointedTo}); ` +
        'checkpoints are missing or were removed',
    );
  }
  return {
    ok: problems.length === 0,
    entries: count,
    checkpoints: lines.length,
    checkpointedTo,
    unsignedTail: Math.max(0, count - checkpointedTo),
    keyId: key.keyId,
    problems,
  };
}
