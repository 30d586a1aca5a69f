import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditKey } from './audit-key.js';
import { writeDurably } from './durable-file.js';
import { canonicalJson } from './canonical-json.js';

/** A checkpoint is written after at most this many entries… */
export const CHECKPOINT_EVERY_ENTRIES = 100;
/**
 * …and at most this long after any entry it does not cover: a quiet tail is signed by a timer,
 * and every pending entry when the process exits. Only entries appended within this window
 * before a `kill -9` (or a crash) can be left unsigned, and `fox audit verify` counts them.
 */
export const CHECKPOINT_EVERY_MS = 1000;

/** One line of the checkpoints file: the chain head at `seq`, signed. */
export interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
  keyId: string;
  sig: string;
}

/** A chain head to checkpoint: the entry at `seq`, its hash, and when it was appended. */
export interface ChainHead {
  seq: number;
  hash: string;
  at: number;
}

/** The signed message of a checkpoint (versioned so the format can change). */
export function checkpointMessage(c: ChainHead): string {
  return canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, v: 1 });
}

/** Parses the checkpoints file; malformed lines are left out (see {@link readCheckpointLines}). */
export function readCheckpoints(path: string): Checkpoint[] {
  return readCheckpointLines(path).filter((c): c is Checkpoint => c !== null);
}

/** Parses the checkpoints file; malformed lines come back as `null` so verify can report them. */
export function readCheckpointLines(path: string): (Checkpoint | null)[] {
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
 * Decides when the chain head is due for a checkpoint and writes signed checkpoints to the file.
 *
 * Signing (Ed25519) and appending to the file cost about as much as a whole decision, so a due
 * head is queued and written after the commit that made it due, on the next turn of the event
 * loop ({@link AuditLog} schedules {@link flush}), not inside the decision. Writing after the
 * commit is also what keeps a checkpoint from ever covering an entry that was rolled back: a
 * queued head is written only if the log still holds it.
 */
export class CheckpointWriter {
  /** The newest checkpoint written. */
  private written: { seq: number; at: number };
  /** The newest head written or queued: what the next due point counts from. */
  private covered: { seq: number; at: number };
  private queue: ChainHead[] = [];

  /**
   * @param syncLog makes the entries a checkpoint covers durable before it is written, so a
   *   power loss can never leave a signed checkpoint beyond the log (a false "truncated").
   */
  constructor(
    private readonly key: AuditKey,
    private readonly path: string,
    now: number,
    private readonly syncLog: () => void = () => {},
  ) {
    const last = readCheckpoints(path).at(-1);
    this.written = { seq: last?.seq ?? 0, at: last?.at ?? now };
    this.covered = this.written;
  }

  /** Whether the entry at `seq`, appended at `at`, needs a checkpoint. */
  isDue(seq: number, at: number): boolean {
    return (
      seq - this.covered.seq >= CHECKPOINT_EVERY_ENTRIES ||
      at - this.covered.at >= CHECKPOINT_EVERY_MS
    );
  }

  /** Queues a head for {@link flush}. */
  enqueue(head: ChainHead): void {
    this.queue.push(head);
    this.covered = head;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Sequence number of the newest checkpoint written. */
  get writtenSeq(): number {
    return this.written.seq;
  }

  /**
   * Writes the queued heads that the log still holds (`holds` reads it); one that a rolled-back
   * transaction dropped is skipped, and the next due point counts from the last one written.
   */
  flush(holds: (head: ChainHead) => boolean): Checkpoint[] {
    if (this.queue.length === 0) return [];
    const heads = this.queue;
    this.queue = [];
    const kept = heads.filter(holds);
    if (kept.length < heads.length) this.covered = kept.at(-1) ?? this.written;
    return this.write(kept);
  }

  /** Signs and appends checkpoints of `heads` (in order) to the file. */
  write(heads: readonly ChainHead[]): Checkpoint[] {
    if (heads.length === 0) return [];
    const cps = heads.map((h): Checkpoint => ({
      seq: h.seq,
      hash: h.hash,
      at: h.at,
      keyId: this.key.keyId,
      sig: this.key.sign(checkpointMessage(h)),
    }));
    this.syncLog();
    mkdirSync(dirname(this.path), { recursive: true });
    writeDurably(this.path, cps.map((c) => JSON.stringify(c) + '\n').join(''), 'a');
    const last = heads.at(-1)!;
    this.written = { seq: last.seq, at: last.at };
    if (last.seq >= this.covered.seq) this.covered = this.written;
    return cps;
  }
}
