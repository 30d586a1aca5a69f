import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { FoxConfigError, FoxStoreError, hasFoxCode } from '../../src/errors/errors.js';
import { DEFAULT_STORE_PATH, openStore } from '../../src/store/index.js';
import type { AggregateRow, FoxStore } from '../../src/store/index.js';
import { aggregateRow, processRow, spanRow, taskRow, tempDir } from './sample-rows.js';

const isStoreError = (pattern: RegExp) => (err: unknown) =>
  err instanceof FoxStoreError && hasFoxCode(err, 'FOX_STORE') && pattern.test(err.message);

describe('store', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  describe('opening', () => {
    it('defaults to .fox/fox.db', () => {
      assert.equal(DEFAULT_STORE_PATH, '.fox/fox.db');
    });

    it('opens in memory and closes idempotently; calls after close throw', () => {
      const store = openStore({ path: ':memory:' });
      assert.equal(store.isOpen, true);
      store.close();
      store.close();
      assert.equal(store.isOpen, false);
      assert.throws(() => store.latestAggregates(), isStoreError(/is closed/));
      assert.throws(() => store.upsertTasks([taskRow()]), isStoreError(/is closed/));
    });

    it('creates the parent directory and uses WAL on a real file; data survives reopening', () => {
      const dbPath = join(dir, 'nested', 'deeper', 'fox.db');
      const store = openStore({ path: dbPath });
      store.upsertProcess(processRow());
      store.upsertTasks([taskRow()]);
      store.insertAggregates([aggregateRow()]);

      // journal_mode is persistent in the file, so a second connection sees it.
      const other = new Database(dbPath, { readonly: true });
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
      other.close();
      store.close();

      const again = openStore({ path: dbPath });
      assert.deepEqual(again.latestAggregates(), [aggregateRow()]);
      again.close();
    });

    it('reports a path that cannot be created', () => {
      const file = join(dir, 'not-a-dir');
      writeFileSync(file, 'x');
      assert.throws(
        () => openStore({ path: join(file, 'fox.db') }),
        isStoreError(/Cannot create directory/),
      );
    });

    it('reports a file that is not a database, without leaving a handle open', () => {
      const file = join(dir, 'garbage.db');
      writeFileSync(file, 'this is not sqlite, just some text that is long enough'.repeat(20));
      assert.throws(() => openStore({ path: file }), isStoreError(/Cannot open the fox store/));
      assert.equal(existsSync(`${file}-wal`), false);
    });

    it('rejects an invalid busy timeout as a config error', () => {
      assert.throws(() => openStore({ path: ':memory:', busyTimeoutMs: -1 }), FoxConfigError);
    });
  });

  describe('writing and querying', () => {
    let store: FoxStore;
    const p1 = processRow('01JPROCESS0000000000000001');
    const p2 = processRow('01JPROCESS0000000000000002');
    const resize = 'src/images.ts#resize';
    const place = 'src/api.ts#OrderService.place';

    beforeEach(() => {
      store = openStore({ path: join(dir, 'fox.db') });
      store.upsertProcess(p1);
      store.upsertProcess(p2);
      store.upsertTasks([taskRow(resize), taskRow(place)]);
    });
    afterEach(() => store.close());

    it('upserts tasks keeping the earliest firstSeen and the latest lastSeen', () => {
      store.upsertTasks([{ ...taskRow(resize, 500), mode: 'auto', line: 40 }]);
      store.upsertTasks([taskRow(resize, 9_000)]);
      const row = store.tasks().find((t) => t.id === resize);
      assert.deepEqual(row, { ...taskRow(resize), firstSeen: 500, lastSeen: 9_000 });
      assert.deepEqual(
        store.tasks().map((t) => t.id),
        [place, resize],
      );
    });

    it('inserts a large batch and answers latest and history queries', () => {
      const rows: AggregateRow[] = [];
      for (let i = 0; i < 500; i++) {
        for (const processId of [p1.id, p2.id]) {
          for (const taskId of [resize, place]) {
            rows.push(aggregateRow({ processId, taskId, at: 10_000 + i * 1_000, calls: i }));
          }
        }
      }
      store.insertAggregates(rows);

      const latest = store.latestAggregates();
      assert.deepEqual(
        latest.map((r) => [r.taskId, r.processId, r.at, r.calls]),
        [
          [place, p1.id, 509_000, 499],
          [place, p2.id, 509_000, 499],
          [resize, p1.id, 509_000, 499],
          [resize, p2.id, 509_000, 499],
        ],
      );
      assert.deepEqual(
        store.latestAggregates(resize).map((r) => r.processId),
        [p1.id, p2.id],
      );
      assert.deepEqual(store.latestAggregates('src/none.ts#nothing'), []);

      const history = store.taskHistory(resize, 507_000);
      assert.deepEqual(
        history.map((r) => [r.at, r.processId]),
        [
          [507_000, p1.id],
          [507_000, p2.id],
          [508_000, p1.id],
          [508_000, p2.id],
          [509_000, p1.id],
          [509_000, p2.id],
        ],
      );
      // JSON and BLOB columns come back decoded.
      assert.deepEqual(history[0], aggregateRow({ taskId: resize, at: 507_000, calls: 497 }));
    });

    it('latestAggregates returns the newest row of every (task, process), whatever the order', () => {
      const key = fc.record({
        taskId: fc.constantFrom(resize, place),
        processId: fc.constantFrom(p1.id, p2.id),
        at: fc.integer({ min: 0, max: 50 }),
        calls: fc.nat(1_000),
      });
      fc.assert(
        fc.property(fc.array(key, { maxLength: 40 }), (keys) => {
          const mem = openStore({ path: ':memory:' });
          try {
            mem.upsertProcess(p1);
            mem.upsertProcess(p2);
            mem.upsertTasks([taskRow(resize), taskRow(place)]);
            mem.insertAggregates(keys.map((k) => aggregateRow(k)));
            // Model: the last write for a (task, process, at) wins; then the max `at` per group.
            const byKey = new Map(keys.map((k) => [`${k.taskId} ${k.processId} ${k.at}`, k]));
            const newest = new Map<string, (typeof keys)[number]>();
            for (const k of byKey.values()) {
              const group = `${k.taskId} ${k.processId}`;
              const seen = newest.get(group);
              if (!seen || k.at > seen.at) newest.set(group, k);
            }
            const expected = [...newest.entries()]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([, k]) => [k.taskId, k.processId, k.at, k.calls]);
            const actual = mem
              .latestAggregates()
              .map((r) => [r.taskId, r.processId, r.at, r.calls]);
            assert.deepEqual(actual, expected);
          } finally {
            mem.close();
          }
        }),
        { numRuns: 100 },
      );
    });

    it('replaces an aggregate re-sent for the same task, process and time', () => {
      store.insertAggregates([aggregateRow({ calls: 1 })]);
      store.insertAggregates([aggregateRow({ calls: 2, histogram: null, limit: null })]);
      assert.deepEqual(store.latestAggregates(), [
        aggregateRow({ calls: 2, histogram: null, limit: null }),
      ]);
    });

    it('writes a batch all or nothing and names unknown ids', () => {
      const bad = aggregateRow({ taskId: 'src/unknown.ts#f', at: 3_000 });
      assert.throws(
        () => store.insertAggregates([aggregateRow(), bad]),
        isStoreError(/insertAggregates failed.*upsertProcess \/ upsertTasks first/),
      );
      assert.deepEqual(store.latestAggregates(), []);
    });

    it('stores spans and returns them by task and time', () => {
      const spans = Array.from({ length: 50 }, (_, i) =>
        spanRow({
          runId: `01JRUN${String(i).padStart(20, '0')}`,
          parentRunId: i > 0 ? '01JRUN00000000000000000000' : null,
          start: 1_000 + i,
          outcome: i % 10 === 0 ? 'error' : 'ok',
          attempt: 1 + (i % 3),
        }),
      );
      store.insertSpans(spans);
      assert.deepEqual(store.taskSpans(resize, 0), spans);
      assert.deepEqual(store.taskSpans(resize, 1_045), spans.slice(45));
      assert.deepEqual(store.taskSpans(resize, 0, 5), spans.slice(0, 5));
      assert.deepEqual(store.taskSpans(place, 0), []);
    });

    it('keeps meta values', () => {
      assert.equal(store.getMeta('nothing'), undefined);
      store.setMeta('k', 'v1');
      store.setMeta('k', 'v2');
      assert.equal(store.getMeta('k'), 'v2');
    });
  });

  describe('prune', () => {
    const day = 24 * 60 * 60 * 1000;
    let now = 0;
    let store: FoxStore;

    beforeEach(() => {
      now = 100 * day;
      store = openStore({ path: join(dir, 'fox.db'), now: () => now });
      const old = processRow('01JPROCESS0000000000000OLD', 1 * day);
      const live = processRow('01JPROCESS000000000000LIVE', 2 * day);
      store.upsertProcess(old);
      store.upsertProcess(live);
      store.upsertTasks([taskRow()]);
      store.insertAggregates([
        aggregateRow({ processId: old.id, at: 1 * day }),
        aggregateRow({ processId: live.id, at: 2 * day }),
        aggregateRow({ processId: live.id, at: 99 * day }),
      ]);
      store.insertSpans([
        spanRow({ runId: 'A', processId: old.id, start: 1 * day }),
        spanRow({ runId: 'B', processId: live.id, start: 99 * day }),
      ]);
    });
    afterEach(() => store.close());

    it('deletes rows older than the given age and processes left empty', () => {
      const result = store.prune({ olderThanMs: 10 * day });
      assert.deepEqual(result, { aggregates: 2, spans: 1, processes: 1 });
      assert.deepEqual(
        store.taskHistory(taskRow().id, 0).map((r) => r.at),
        [99 * day],
      );
      assert.deepEqual(
        store.taskSpans(taskRow().id, 0).map((s) => s.runId),
        ['B'],
      );
      // Tasks are code identity, not telemetry: they stay.
      assert.equal(store.tasks().length, 1);
      // The surviving process still accepts rows.
      store.insertAggregates([aggregateRow({ processId: '01JPROCESS000000000000LIVE', at: now })]);
    });

    it('uses the retention stored in meta by default', () => {
      assert.deepEqual(store.prune(), { aggregates: 2, spans: 1, processes: 1 }); // 7 days
      store.setMeta('retention_ms', String(200 * day));
      now = 250 * day;
      assert.deepEqual(store.prune(), { aggregates: 0, spans: 0, processes: 0 });
      now = 300 * day;
      assert.deepEqual(store.prune(), { aggregates: 1, spans: 1, processes: 1 });
    });

    it('rejects a negative age', () => {
      assert.throws(() => store.prune({ olderThanMs: -1 }), FoxConfigError);
    });
  });
});
