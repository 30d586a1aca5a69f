import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '@fox/sdk/store';
import {
  startProfiler,
  storedReportMessages,
  type ServerToUi,
  type UiState,
} from '../src/index.js';
import { bucketGauges } from '../src/report/stored-run.js';
import {
  LEGACY_VERSION_META_KEY,
  PROFILER_SCHEMA,
  useProfilerStore,
} from '../src/storage/profiler-schema.js';
import type { GaugeRow } from '../src/storage/profiler-tables.js';
import { SessionReader } from '../src/storage/session-reader.js';
import { gaugeCharts } from '../src/ui/gauge-series.js';
import { exited, spawnFixture, tempDir } from './helpers.js';

/**
 * A process's gauges before they have anything to measure (its first interval, which is all a
 * short program sends) say "no data" all the way: the wire, the live state, the store, the
 * report and the charts — never ELU 1 and a delay of 0.
 */

function stateOf(messages: ServerToUi[]): UiState {
  const first = messages[0];
  assert.ok(first?.type === 'state');
  return first.state;
}

const NO_DATA = { delayP50: null, delayP99: null, delayMax: null, elu: null, cpu: null };

describe('gauges without data', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it("a short program's only interval is no data live, in the store, the report and charts", async () => {
    const db = join(tmp.dir, 'fox.db');
    const profiler = await startProfiler({ storePath: db, pushIntervalMs: 60_000 });
    try {
      // Shorter than one reporting interval: its one aggregates frame is the shutdown flush.
      const app = spawnFixture('exporting-app.ts', {
        FOX_PROFILER: profiler.url,
        FIXTURE_MS: '300',
        FIXTURE_INTERVAL_MS: '60000',
      });
      assert.equal(await exited(app), 0);
      const gauges = () => profiler.state().processes.flatMap((p) => p.gauges);
      const end = Date.now() + 10_000;
      while (gauges().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const [live] = gauges();
      assert.ok(live, 'the frame arrived');
      assert.deepEqual(pick(live), NO_DATA);
    } finally {
      await profiler.close();
    }
    const state = stateOf(storedReportMessages(db));
    assert.equal(state.processes.length, 1);
    assert.deepEqual(state.processes[0]!.gauges.map(pick), [NO_DATA]);
    // No point is drawn (a line at 0 would read as an idle loop); the legend says why.
    for (const chart of gaugeCharts(state.processes)) {
      assert.deepEqual(
        chart.series.map((s) => s.points),
        chart.series.map(() => []),
      );
    }
  });

  it('migrates a store whose gauge columns were NOT NULL, keeping its rows', () => {
    const store = openStore({ path: join(tmp.dir, 'fox.db') });
    try {
      const db = store.connection();
      // What the previous release left: version 1 (gauges NOT NULL), one row.
      PROFILER_SCHEMA.migrations[0]!.up(db);
      db.exec(`
        INSERT INTO processes (id, pid, started_at, argv, node_version, project_root)
          VALUES ('P', 1, 0, '[]', 'v20', '/');
        INSERT INTO profiler_gauges VALUES ('P', 1000, 1, 2, 3, 0.5, 0.25, 100, '{}');
      `);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(LEGACY_VERSION_META_KEY, '1');

      // Up to the latest version (3 added the CPU table, 4 flow runs) from 1, the gauges rebuilt.
      useProfilerStore(store);
      assert.equal(store.schemaVersions().get('profiler'), 4);
      db.exec(
        "INSERT INTO profiler_gauges VALUES ('P', 2000, NULL, NULL, NULL, NULL, NULL, 100, '{}')",
      );
      const rows = new SessionReader(db).gauges('P', { from: 0, to: 10_000 });
      assert.deepEqual(
        rows.map((r) => [r.at, r.delayP50, r.delayP99, r.delayMax, r.elu, r.cpu]),
        [
          [1000, 1, 2, 3, 0.5, 0.25],
          [2000, null, null, null, null, null],
        ],
      );
      // The process still takes its rows along when the store prunes it.
      db.prepare("DELETE FROM processes WHERE id = 'P'").run();
      assert.equal(new SessionReader(db).gauges('P', { from: 0, to: 10_000 }).length, 0);
    } finally {
      store.close();
    }
  });

  it('a report bucket keeps the numbers of the intervals that have them', () => {
    const row = (at: number, v: number | null): GaugeRow => ({
      processId: 'P',
      at,
      delayP50: v,
      delayP99: v,
      delayMax: v,
      elu: v === null ? null : v / 4,
      cpu: v === null ? null : v / 4,
      heapUsedBytes: 1,
      dropped: {},
    });
    const [mixed, none] = bucketGauges(
      [row(1, null), row(2, 2), row(3, 4), row(4, null), row(5, null), row(6, null)],
      2,
    );
    assert.deepEqual(pick(mixed!), { delayP50: 3, delayP99: 4, delayMax: 4, elu: 0.75, cpu: 0.75 });
    assert.deepEqual(pick(none!), NO_DATA);
  });
});

function pick(g: {
  delayP50: unknown;
  delayP99: unknown;
  delayMax: unknown;
  elu: unknown;
  cpu: unknown;
}) {
  return {
    delayP50: g.delayP50,
    delayP99: g.delayP99,
    delayMax: g.delayMax,
    elu: g.elu,
    cpu: g.cpu,
  };
}
