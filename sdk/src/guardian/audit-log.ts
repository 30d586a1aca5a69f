import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { AuditKey } from './audit-key.js';
import { fastUlid as ulid } from './ulid.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

/** Hash linked before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
/** A checkpoint is written after at most this many entries… */
export const CHECKPOINT_EVERY_ENTRIES = 100;
/** …or this long after the first entry it does not cover. */
export const CHECKPOINT_EVERY_MS = 60_000;

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

/** One line of the checkpoints file: the chain head at `seq`, signed. */
export interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
  keyId: string;
  sig: string;
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
  problems: AuditProblem[];
}

export interface AuditLogOptions {
  db: Database;
  key: AuditKey;
  /** JSONL file of signed checkpoints, outside the database. */
  checkpointsPath: string;
  /** Wall clock, epoch ms. */
  now?: () => number;
}

interface Row {
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

function checkpointMessage(c: { seq: number; hash: string; at: number }): string {
  return canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, v: 1 });
}

/**
 * The tamper-evident audit log: an append-only table whose entries are hash-chained, plus
 * Ed25519-signed checkpoints of the chain head in a file outside the database. The chain makes
 * any edit, deletion or reorder of rows visible; the checkpoints make a truncated tail visible
 * (a chain cut short is still a valid chain) and pin the head so the whole table cannot be
 * rewritten without the key.
 *
 * Appends from several processes on the same store (the app, `fox approvals`) are serialised by
 * a `BEGIN IMMEDIATE` transaction that reads the head and writes the next entry.
 */
export class AuditLog {
  private readonly db: Database;
  private readonly now: () => number;
  private lastCheckpoint: { seq: number; at: number };
  private readonly insert;
  private readonly head;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly immediate = (f: () => AuditEntry): AuditEntry =>
    this.db.transaction(f).immediate();

  constructor(private readonly options: AuditLogOptions) {
    this.db = options.db;
    this.now = options.now ?? Date.now;
    this.insert = this.db.prepare(
      'INSERT INTO audit_log (seq, id, at, type, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.head = this.db.prepare('SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1');
    const last = readCheckpoints(options.checkpointsPath).at(-1);
    this.lastCheckpoint = { seq: last?.seq ?? 0, at: last?.at ?? this.now() };
  }

  /** Checkpoints every `CHECKPOINT_EVERY_MS` while entries are uncovered (timer is unref'd). */
  startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.checkpointIfDue(), CHECKPOINT_EVERY_MS / 4);
    this.timer.unref();
  }

  /** Appends one event and returns it with its hash. Throws when the store refuses the write. */
  append(event: AuditEvent): AuditEntry {
    const at = this.now();
    const id = ulid(at);
    // Inside the caller's transaction (the guardian's), no savepoint is needed: the write
    // commits or rolls back with it.
    const entry = (this.db.inTransaction ? (f: () => AuditEntry) => f() : this.immediate)(() => {
      const head = this.head.get() as { seq: number; hash: string } | undefined;
      const seq = (head?.seq ?? 0) + 1;
      const prevHash = head?.hash ?? GENESIS_HASH;
      const canonical = canonicalJson({ seq, id, at, type: event.type, data: event.data });
      const hash = linkHash(prevHash, canonical);
      this.insert.run(seq, id, at, event.type, canonical, prevHash, hash);
      return { seq, id, at, type: event.type, data: event.data, prevHash, hash };
    });
    const due =
      entry.seq - this.lastCheckpoint.seq >= CHECKPOINT_EVERY_ENTRIES ||
      at - this.lastCheckpoint.at >= CHECKPOINT_EVERY_MS;
    if (due) this.checkpoint(entry.seq, entry.hash, at);
    return entry;
  }

  private checkpointIfDue(): void {
    const head = this.head.get() as { seq: number } | undefined;
    const pending = (head?.seq ?? 0) - this.lastCheckpoint.seq;
    if (pending > 0 && this.now() - this.lastCheckpoint.at >= CHECKPOINT_EVERY_MS) {
      this.checkpoint();
    }
  }

  /** Signs the current head and appends it to the checkpoints file. No-op on an empty log. */
  checkpoint(seq?: number, hash?: string, now?: number): Checkpoint | undefined {
    const head =
      seq !== undefined && hash !== undefined
        ? { seq, hash }
        : (this.head.get() as { seq: number; hash: string } | undefined);
    if (!head) return undefined;
    const at = now ?? this.now();
    const body = { seq: head.seq, hash: head.hash, at };
    const cp: Checkpoint = {
      ...body,
      keyId: this.options.key.keyId,
      sig: this.options.key.sign(checkpointMessage(body)),
    };
    mkdirSync(dirname(this.options.checkpointsPath), { recursive: true });
    appendFileSync(this.options.checkpointsPath, JSON.stringify(cp) + '\n', { mode: 0o600 });
    this.lastCheckpoint = { seq: head.seq, at };
    return cp;
  }

  /** Every entry, oldest first (or from `sinceSeq` exclusive). */
  entries(sinceSeq = 0): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq')
      .all(sinceSeq) as Row[];
    return rows.map(toEntry);
  }

  /** Checkpoints the head and stops the timer. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const head = this.head.get() as { seq: number } | undefined;
    if ((head?.seq ?? 0) > this.lastCheckpoint.seq) this.checkpoint();
  }

  /** See {@link verifyAuditLog}. */
  verify(): VerifyResult {
    return verifyAuditLog(this.db, this.options.key, this.options.checkpointsPath);
  }
}

function toEntry(r: Row): AuditEntry {
  let data: Record<string, unknown> = {};
  try {
    data = (JSON.parse(r.entry) as { data?: Record<string, unknown> }).data ?? {};
  } catch {
    // verify reports it; listing still shows the row.
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

/** Parses the checkpoints file; malformed lines come back as `null` so verify can report them. */
export function readCheckpoints(path: string): Checkpoint[] {
  return readCheckpointLines(path).filter((c): c is Checkpoint => c !== null);
}

function readCheckpointLines(path: string): (Checkpoint | null)[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      try {
        const c = JSON.parse(line) as Checkpoint;
        const ok =
          Number.isInteger(c.seq) &&
          typeof c.hash === 'string' &&
          typeof c.at === 'number' &&
          typeof c.sig === 'string';
        return ok ? c : null;
      } catch {
        return null;
      }
    });
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
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<Row>;
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
  let lastSeq = 0;
  for (const c of lines) {
    if (c === null) {
      report(null, 'malformed checkpoint line');
      continue;
    }
    if (!key.verify(checkpointMessage(c), c.sig)) {
      report(c.seq, 'checkpoint signature is invalid');
      continue;
    }
    if (c.seq < lastSeq) report(c.seq, 'checkpoints go backwards');
    lastSeq = Math.max(lastSeq, c.seq);
    const h = hashes.get(c.seq);
    if (h === undefined) {
      report(c.seq, `checkpoint covers seq ${c.seq} but the log ends at ${count} (truncated)`);
    } else if (h !== c.hash) {
      report(c.seq, 'checkpoint hash differs from the log (rewritten)');
    } else {
      checkpointedTo = Math.max(checkpointedTo, c.seq);
    }
  }
  // A checkpoint is written synchronously with every 100th entry, so more than that after the
  // last valid one means checkpoints were removed (the file deleted or cut short).
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
    problems,
  };
}
