import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { FoxStoreError } from '../../src/errors/errors.js';
import { auditKeyFrom } from '../../src/guardian/audit-key.js';
import { verifyAuditLog } from '../../src/guardian/audit-log.js';
import { auditPaths } from '../../src/guardian/paths.js';
import { openStore } from '../../src/store/store.js';
import { tempDir } from './sample-rows.js';
import { GUARDIAN_TABLES } from '../../src/guardian/guardian-schema.js';

const CHILD = fileURLToPath(new URL('./fixtures/start-race-child.ts', import.meta.url));
/** tsx's loader by URL, so the children resolve it whatever their working directory. */
const TSX = import.meta.resolve('tsx');

const PROCESSES = 16;
const ROUNDS = 12;
/** What a started store folder may hold: the db with its WAL files, the key, the checkpoints. */
const EXPECTED_FILES = [
  'audit-checkpoints.jsonl',
  'audit-key.pem',
  'fox.db',
  'fox.db-shm',
  'fox.db-wal',
];

type Result = { keyId: string; seq: number } | { error: string };

/**
 * Programs (and `fox` commands) starting together on a project with no store yet all create the
 * database and the audit key at once. The children are real processes on real files; they stay
 * up across rounds (loading tsx sixteen times per round would take longer than the race) and
 * start each round at the same wall-clock instant on a folder that does not exist yet. Every
 * round runs before asserting, so a failure reports how many rounds it hit.
 */
describe('store: many processes starting on a fresh store at once', function () {
  this.timeout(60_000);
  let root: string;
  let cleanup: () => void;
  let children: Child[] = [];
  before(async () => {
    ({ dir: root, cleanup } = tempDir());
    children = Array.from({ length: PROCESSES }, () => startChild());
    for (const c of children) assert.deepEqual(await c.next(), { ready: true }, c.stderr());
  });
  after(() => {
    for (const c of children) c.child.kill('SIGKILL');
    cleanup();
  });

  /** Starts every child on a new folder at once; returns what each printed. */
  async function race(name: string, keyOnly: boolean): Promise<{ dir: string; results: Result[] }> {
    const dir = join(root, name);
    const at = Date.now() + 100;
    for (const c of children) c.send({ path: join(dir, 'fox.db'), at, keyOnly });
    return { dir, results: (await Promise.all(children.map((c) => c.next()))) as Result[] };
  }

  it('all create the audit key at once and end up with the same, whole key', async () => {
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { dir, results } = await race(`key-${round}`, true);
      problems.push(...checkKey(dir, results).map((p) => `round ${round}: ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  it('all open the store and append to the audit log; the file and the log are sound', async () => {
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { dir, results } = await race(`store-${round}`, false);
      problems.push(...checkStore(dir, results).map((p) => `round ${round}: ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  it('every process exits cleanly', async () => {
    for (const c of children) c.child.stdin!.end();
    const codes = await Promise.all(children.map((c) => c.exit));
    assert.deepEqual(
      codes,
      Array<number>(PROCESSES).fill(0),
      children.map((c) => c.stderr()).join(''),
    );
  });
});

describe('store: opening while another connection holds the lock', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('waits up to busyTimeoutMs, then fails with a FoxStoreError saying it waited', () => {
    const path = join(dir, 'fox.db');
    const holder = new Database(path);
    try {
      holder.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      assert.throws(
        () => openStore({ path, busyTimeoutMs: 150 }),
        (err: unknown) =>
          err instanceof FoxStoreError &&
          /Cannot open the fox store at .*database is locked \(waited \d+ ms/.test(err.message),
      );
      const took = Date.now() - started;
      assert.ok(took >= 150 && took < 2_000, `took ${took} ms`);
      // A zero timeout fails at once.
      const again = Date.now();
      assert.throws(() => openStore({ path, busyTimeoutMs: 0 }), FoxStoreError);
      assert.ok(Date.now() - again < 100);
      holder.exec('COMMIT');
      openStore({ path, busyTimeoutMs: 0 }).close();
    } finally {
      holder.close();
    }
  });
});

/** Problems with a round's audit key: errors, different keys, a torn or open file, a temp left. */
function checkKey(dir: string, results: readonly Result[]): string[] {
  const problems: string[] = [];
  const keyIds = new Set<string>();
  for (const r of results) {
    if ('error' in r) problems.push(r.error.split('\n')[0]!);
    else keyIds.add(r.keyId);
  }
  if (keyIds.size > 1) problems.push(`${keyIds.size} different audit keys`);
  try {
    const { keyPath } = auditPaths(join(dir, 'fox.db'));
    const mode = statSync(keyPath).mode & 0o777;
    if (mode !== 0o600) problems.push(`key file mode ${mode.toString(8)}`);
    const key = auditKeyFrom(createPrivateKey(readFileSync(keyPath, 'utf8')));
    if ([...keyIds].some((id) => id !== key.keyId)) problems.push('a process used another key');
    // No temporary key file is left behind, whoever won.
    const extra = readdirSync(dir).filter((f) => !EXPECTED_FILES.includes(f));
    if (extra.length > 0) problems.push(`unexpected files ${extra.join(', ')}`);
  } catch (err) {
    problems.push(`cannot read the key: ${(err as Error).message}`);
  }
  return problems;
}

/** {@link checkKey}, plus: the database passes its integrity check and the audit log verifies. */
function checkStore(dir: string, results: readonly Result[]): string[] {
  const problems = checkKey(dir, results);
  const path = join(dir, 'fox.db');
  try {
    const { keyPath, checkpointsPath } = auditPaths(path);
    const key = auditKeyFrom(createPrivateKey(readFileSync(keyPath, 'utf8')));
    const store = openStore({ path });
    try {
      const db = store.use(GUARDIAN_TABLES);
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
      const appended = results.filter((r) => !('error' in r)).length;
      const verified = verifyAuditLog(db, key, checkpointsPath);
      if (verified.entries !== appended) {
        problems.push(`${verified.entries} audit entries for ${appended} appends`);
      }
      problems.push(...verified.problems.map((p) => `audit log seq ${p.seq}: ${p.problem}`));
    } finally {
      store.close();
    }
  } catch (err) {
    problems.push(`cannot check the store: ${(err as Error).message}`);
  }
  return problems;
}

interface Child {
  child: ChildProcess;
  send(line: unknown): void;
  /** The next JSON line the child prints; rejects if it exits first. */
  next(): Promise<unknown>;
  exit: Promise<number | null>;
  stderr(): string;
}

function startChild(): Child {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=source', CHILD], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  let waiter: (() => void) | undefined;
  let exited = false;
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += String(d);
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
      waiter?.();
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += String(d)));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      resolve(code);
      waiter?.();
    }),
  );
  return {
    child,
    send: (line) => child.stdin!.write(JSON.stringify(line) + '\n'),
    next: async () => {
      while (lines.length === 0) {
        if (exited) throw new Error(`child exited early: ${err}`);
        await new Promise<void>((resolve) => (waiter = resolve));
      }
      return lines.shift();
    },
    exit,
    stderr: () => err,
  };
}
