import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CHAOS_SCHEMA } from '@fox/sdk/chaos';
import { GUARDIAN_SCHEMA } from '@fox/sdk/guardian';
import { STORE_FORMAT_VERSION, STORE_SCHEMA, openStore } from '@fox/sdk/store';
import {
  LEGACY_VERSION_META_KEY,
  PROFILER_SCHEMA,
  useProfilerStore,
} from '../src/storage/profiler-schema.js';
import { tempDir } from './helpers.js';

/**
 * A store file as the profiler and sdk left it before the one migration runner: the sdk's
 * tables at `user_version` 3, the profiler's (created with the same DDL it still declares) at
 * version 3 in `meta`, and a row in each profiler table.
 */
function legacyProfiledStore(path: string): void {
  const db = new Database(path);
  db.transaction(() => {
    for (const m of [...STORE_SCHEMA.migrations, ...GUARDIAN_SCHEMA.migrations]) m.up(db);
    for (const m of CHAOS_SCHEMA.migrations) m.up(db);
    db.pragma('user_version = 3');
    // Legacy profilers stopped at version 3; later migrations run through the runner.
    for (const m of PROFILER_SCHEMA.migrations.slice(0, 3)) m.up(db);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(LEGACY_VERSION_META_KEY, '3');
  })();
  db.exec(`
    INSERT INTO processes VALUES ('P', 1, 1000, '[]', 'v20', '/app');
    INSERT INTO tasks VALUES ('src/a.ts#f', 'sfox', 'src/a.ts', 1, 1, 1000, 1000);
    INSERT INTO spans VALUES ('R1', NULL, 'src/a.ts#f', 'P', 1500, 2, 'success', 1, 'sfox');
    INSERT INTO profiler_sessions VALUES ('S1', 1000, 9000);
    INSERT INTO profiler_session_processes VALUES ('S1', 'P');
    INSERT INTO profiler_task_state VALUES ('P', 'src/a.ts#f', 'auto', 'sfox', '["retry"]', 'closed');
    INSERT INTO profiler_gauges VALUES ('P', 2000, 1, 2, 3, 0.5, 0.25, 100, '{}');
    INSERT INTO profiler_events (process_id, at, kind, event) VALUES ('P', 2500, 'note', '{"kind":"note"}');
    INSERT INTO profiler_span_tags VALUES ('R1', NULL, 'E_X');
    INSERT INTO profiler_cpu_functions
      VALUES ('P', 1000, 2000, 1000, 'src/a.ts', 1, 1, 'f', 10, 12, 10, 4);
    INSERT INTO chaos_reports VALUES ('X1', 'slow', 1000, 3000, 'completed', '{"name":"slow"}');
  `);
  db.close();
}

describe('profiler tables on a store made before the migration runner', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('adopts them at their version and keeps every row', () => {
    const path = join(tmp.dir, 'fox.db');
    legacyProfiledStore(path);

    const store = openStore({ path });
    try {
      const { sessions } = useProfilerStore(store);
      assert.equal(store.schemaVersion, STORE_FORMAT_VERSION);
      assert.deepEqual(Object.fromEntries(store.schemaVersions()), {
        chaos: 1,
        profiler: 4,
        store: 2,
      });
      const w = { from: 0, to: 10_000 };
      assert.deepEqual(sessions.session(), { id: 'S1', startedAt: 1000, endedAt: 9000 });
      assert.deepEqual(
        sessions.processes('S1').map((p) => p.id),
        ['P'],
      );
      assert.equal(sessions.taskStates('P').get('src/a.ts#f')?.current, 'sfox');
      assert.deepEqual(
        sessions.gauges('P', w).map((g) => [g.at, g.delayP50, g.elu]),
        [[2000, 1, 0.5]],
      );
      assert.equal(sessions.cpuFunctions('P', w)[0]?.selfMs, 10);
      assert.equal(sessions.chaosReports(w, 10).length, 1);
      assert.equal(sessions.spanCount(['P'], w), 1);
      // Version 4 ran on top: its table is there, empty.
      assert.deepEqual(sessions.flowRuns(['P'], w, 10), []);
    } finally {
      store.close();
    }
  });
});
