import { dirname, join, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { loadOrCreateAuditKey } from './audit-key.js';
import { AuditLog } from './audit-log.js';

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
  options: { dir?: string; now?: () => number } = {},
): AuditLog {
  const { keyPath, checkpointsPath } = auditPaths(storePath, options.dir);
  return new AuditLog({
    db,
    key: loadOrCreateAuditKey(keyPath),
    checkpointsPath,
    ...(options.now ? { now: options.now } : {}),
  });
}
