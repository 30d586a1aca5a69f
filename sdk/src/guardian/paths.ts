import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { SqliteDatabase as Database } from '../store/driver.js';
import { FoxStoreError } from '../errors/errors.js';
import { auditKeyFrom, loadOrCreateAuditKey } from './audit-key.js';
import { AuditLog, verifyAuditLog, type VerifyResult } from './audit-log.js';

/** Where the audit key and checkpoints live for a store: next to the db, never inside it. */
export function auditPaths(
  storePath: string,
  dir?: string,
): { keyPath: string; checkpointsPath: string } {
  const base =
    dir ?? (storePath === ':memory:' || storePath === '' ? '.fox' : dirname(resolve(storePath)));
  return {
    keyPath: join(base, 'audit-key.pem'),
    checkpointsPath: join(base, 'audit-checkpoints.jsonl'),
  };
}

/** Opens the audit log of a store's connection, creating the signing key on first use. */
export function openAuditLog(
  db: Database,
  storePath: string,
  options: { dir?: string; now?: () => number; clock?: Clock } = {},
): AuditLog {
  const { keyPath, checkpointsPath } = auditPaths(storePath, options.dir);
  return new AuditLog({
    db,
    key: loadOrCreateAuditKey(keyPath),
    checkpointsPath,
    ...(options.now ? { now: options.now } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

/**
 * Verifies a store's audit log without writing anything: no key is created and nothing is
 * signed (opening an {@link AuditLog} would sign its pending tail at exit, which is what a
 * verifier must never do for a tail it cannot vouch for).
 */
export function verifyStoreAudit(
  db: Database,
  storePath: string,
  options: { dir?: string } = {},
): VerifyResult {
  const { keyPath, checkpointsPath } = auditPaths(storePath, options.dir);
  if (!existsSync(keyPath)) {
    const entries = (db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number) ?? 0;
    return {
      ok: entries === 0,
      entries,
      checkpoints: 0,
      checkpointedTo: 0,
      unsignedTail: entries,
      keyId: '',
      problems:
        entries === 0 ? [] : [{ seq: null, problem: `the audit key ${keyPath} is missing` }],
    };
  }
  let key;
  try {
    key = auditKeyFrom(createPrivateKey(readFileSync(keyPath, 'utf8')));
  } catch (err) {
    throw new FoxStoreError(`Cannot read the audit key ${keyPath}: ${(err as Error).message}`, err);
  }
  return verifyAuditLog(db, key, checkpointsPath);
}
