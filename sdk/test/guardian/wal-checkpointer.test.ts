import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type FoxStore } from '../../src/store/index.js';
import { startWalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { until } from '../support/until.js';

describe('WAL checkpoints on a worker thread (what the guardian runs its store with)', () => {
  let dir: string;
  let store: FoxStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-wal-'));
    store = openStore({ path: join(dir, 'fox.db') });
  });
  afterEach(() => {
    if (store.isOpen) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const autocheckpoint = () => store.connection().pragma('wal_autocheckpoint', { simple: true });

  it('copies committed pages into the database file while the committing thread never checkpoints', async () => {
    const db = store.connection();
    const wal = startWalCheckpointer(db, store.path, { intervalMs: 20 });
    try {
      assert.equal(wal.active, true);
      // The committing connection would checkpoint only past ~40 MB of WAL: a backstop.
      assert.equal(autocheckpoint(), 10_000);
      const marker = `fox-wal-marker-${Date.now()}`;
      db.exec('CREATE TABLE t (v TEXT)');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 50; i++) insert.run(`${marker}-${i}`);
      // Far below the backstop, so only the worker can have moved these rows into the file.
      await until(() => readFileSync(store.path).includes(`${marker}-49`));
    } finally {
      wal.dispose();
    }
    assert.equal(wal.active, false);
    assert.equal(autocheckpoint(), 1000, 'SQLite checkpoints by itself again');
  });

  it('does nothing for an in-memory store', () => {
    const mem = openStore({ path: ':memory:' });
    try {
      const wal = startWalCheckpointer(mem.connection(), ':memory:');
      assert.equal(wal.active, false);
      wal.dispose();
    } finally {
      mem.close();
    }
  });
});
