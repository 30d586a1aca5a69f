import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog } from '../../src/guardian/paths.js';
import type { AuditLog } from '../../src/guardian/audit-log.js';
import { Guardian } from '../../src/guardian/guardian.js';
import { openStore, type FoxStore } from '../../src/store/index.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';

export interface Env {
  dir: string;
  dbPath: string;
  store: FoxStore;
  audit: AuditLog;
  clock: { t: number; now: () => number };
  cleanup(): void;
}

/** A store on disk in a temp dir with its audit log; the wall clock is a settable number. */
export function makeEnv(): Env {
  const dir = mkdtempSync(join(tmpdir(), 'fox-guardian-'));
  const dbPath = join(dir, 'fox.db');
  const store = openStore({ path: dbPath });
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const audit = openAuditLog(store.use(GUARDIAN_TABLES), dbPath, { now: clock.now });
  return {
    dir,
    dbPath,
    store,
    audit,
    clock,
    cleanup() {
      if (store.isOpen) {
        audit.close();
        store.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A store on disk with a guardian (approvers alice and bob, one approval needed) and one
 * pending high-impact proposal by alice, on the real clock (what the CLIs use).
 */
export async function makePendingProposal(): Promise<{ env: Env; g: Guardian; id: string }> {
  const env = makeEnv();
  env.clock.t = Date.now();
  const g = new Guardian({
    db: env.store.use(GUARDIAN_TABLES),
    audit: env.audit,
    policy: { approvers: ['alice', 'bob'], required: 1 },
    now: env.clock.now,
  });
  const { id } = await g.propose({
    kind: 'policy-change',
    taskId: 'src/a.ts#f',
    payload: { policy: 'retry', config: { attempts: 4 } },
    impact: 'high',
    proposer: 'alice',
  });
  return { env, g, id };
}
