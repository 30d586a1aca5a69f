import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import FakeTimers from '@sinonjs/fake-timers';
import { LatencyHistogram } from '@fox/sdk/telemetry';
import { openStore } from '@fox/sdk/store';
import {
  profileMain,
  startProfiler,
  storedReportMessages,
  writeStoredReport,
  type ServerToUi,
  type UiState,
} from '../src/index.js';
import { FakeExporter, chaosReport, span } from './fake-exporter.js';
import { tempDir, until } from './helpers.js';

const LOOKUP = 'src/r.ts#lookup';
const SAVE = 'src/r.ts#save';
/** Latencies (ms) of the lookup calls in the three intervals; errors 1, 0, 2. */
const LOOKUP_MS = [
  [1, 1, 1, 1, 2, 2, 2, 4, 8, 100],
  Array.from({ length: 20 }, () => 3),
  Array.from({ length: 10 }, () => 1),
];

function stateOf(messages: ServerToUi[]): UiState {
  const first = messages[0];
  assert.ok(first?.type === 'state');
  return first.state;
}

describe('reports rebuilt from the SQLite store', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let sessionId: string;
  let t0: number;

  /** One profiler run with known frames from a fake exporter, then closed. */
  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'fox.db');
    // The run "started" 10 s ago (only Date is faked, while it starts), so that intervals with
    // known timestamps fit in its window without the test waiting for them in real time.
    const clock = FakeTimers.install({ now: Date.now() - 10_000, toFake: ['Date'] });
    const profiler = await startProfiler({ storePath: db, pushIntervalMs: 60_000 }).finally(() =>
      clock.uninstall(),
    );
    sessionId = profiler.sessionId!;
    const fake = await FakeExporter.connect(
      profiler.url,
      'P-R',
      [{ id: LOOKUP }, { id: SAVE, mode: 'wfox' }],
      4321,
    );
    t0 = Date.now() - 5000;
    fake.interval(t0 + 1000, [
      { id: LOOKUP, latencies: LOOKUP_MS[0]!, errors: 1 },
      { id: SAVE, latencies: [5, 5, 5] },
    ]);
    fake.interval(t0 + 2000, [
      { id: LOOKUP, latencies: LOOKUP_MS[1]! },
      { id: SAVE, latencies: [], current: 'sfox' },
    ]);
    fake.interval(
      t0 + 3000,
      [
        { id: LOOKUP, latencies: LOOKUP_MS[2]!, errors: 2 },
        { id: SAVE, latencies: [], current: 'sfox' },
      ],
      { delayP99: 7, elu: 0.5 },
    );
    fake.spans([
      span('R1', LOOKUP, t0 + 100, 30),
      span('R2', SAVE, t0 + 105, 20, {
        parentRunId: 'R1',
        chaos: 'EXP1',
        outcome: 'error',
        errorCode: 'CHAOS_INJECTED',
      }),
    ]);
    fake.events([
      {
        kind: 'proposal',
        at: t0 + 10,
        proposalId: 'PROP1',
        taskId: SAVE,
        summary: 'strategy-change: save to sfox',
        state: 'pending',
        payloadHash: 'a'.repeat(64),
        approvalsNeeded: 1,
      },
      { kind: 'chaos', at: t0 + 20, experimentId: 'EXP1', action: 'start', taskIds: [SAVE] },
      { kind: 'breaker', at: t0 + 30, taskId: SAVE, from: 'closed', to: 'open' },
      { kind: 'chaos', at: t0 + 40, experimentId: 'EXP1', action: 'stop', taskIds: [SAVE] },
      {
        kind: 'proposal',
        at: t0 + 50,
        proposalId: 'PROP1',
        taskId: SAVE,
        summary: 'strategy-change: save to sfox',
        state: 'applied',
        payloadHash: 'a'.repeat(64),
      },
      { kind: 'chaos-report', at: t0 + 60, report: chaosReport('EXP1', SAVE, Date.now()) },
    ]);
    await until(
      () => (profiler.counters().store?.aggregatesStored ?? 0) === 6,
      5000,
      'six aggregate rows',
    );
    await until(() => profiler.state().events.length === 5, 5000, 'the events');
    fake.close();
    await profiler.close();

    // The program under the profiler may write its own aggregates to the same file (its store)
    // on its own clock: those rows must not be counted a second time.
    const store = openStore({ path: db });
    const h = new LatencyHistogram();
    h.record(5000);
    store.insertAggregates([
      {
        processId: 'P-R',
        taskId: LOOKUP,
        at: t0 + 1500,
        calls: 999,
        successes: 999,
        errors: 0,
        errorsByCode: {},
        histogram: h.encode(),
        p50: 5000,
        p90: 5000,
        p99: 5000,
        max: 5000,
        inFlight: 0,
        queued: 0,
        limit: null,
      },
    ]);
    store.close();
  });
  after(() => tmp.cleanup());

  it('has the run’s tasks with whole-run numbers from the stored intervals', () => {
    const state = stateOf(storedReportMessages(db));
    assert.deepEqual(state.report?.sessionId, sessionId);
    assert.equal(state.processes.length, 1);
    const p = state.processes[0]!;
    assert.equal(p.pid, 4321);
    assert.equal(p.connected, false);
    assert.deepEqual(
      p.gauges.map((g) => [g.at, g.delayP99, g.elu]),
      [
        [t0 + 1000, 2, 0.25],
        [t0 + 2000, 2, 0.25],
        [t0 + 3000, 7, 0.5],
      ],
    );

    const lookup = state.tasks.find((t) => t.id === LOOKUP)!;
    assert.equal(lookup.calls, 40, 'the 999 calls the program stored itself are not counted');
    assert.equal(lookup.errors, 3);
    // Three intervals of one second each.
    assert.equal(lookup.callsPerSec.toFixed(3), (40 / 3).toFixed(3));
    assert.equal(lookup.errorsPerSec, 1);
    const all = new LatencyHistogram();
    for (const ms of LOOKUP_MS.flat()) all.record(ms);
    assert.equal(lookup.p50, all.quantile(0.5));
    assert.equal(lookup.p95, all.quantile(0.95));
    assert.equal(lookup.p99, all.quantile(0.99));
    assert.ok(lookup.p99 >= 90, `p99 ${lookup.p99} reflects the 100 ms call`);
    assert.deepEqual(lookup.history, [10, 20, 10]);
    assert.deepEqual(lookup.location, { file: 'src/P-R.ts', line: 3, column: 1 });
    assert.deepEqual(lookup.policies, ['retry']);

    const save = state.tasks.find((t) => t.id === SAVE)!;
    assert.equal(save.calls, 3);
    assert.equal(save.mode, 'wfox');
    assert.equal(save.current, 'sfox', 'the live strategy as the last interval reported it');
    assert.equal(state.collector.framesAccepted, 3);
    assert.equal(state.collector.spansStored, 2);
  });

  it('has the timeline with nesting and chaos tags, the events, proposals and chaos', () => {
    const messages = storedReportMessages(db, sessionId);
    const state = stateOf(messages);
    const tl = messages.find((m) => m.type === 'spans' && m.taskId === LOOKUP);
    assert.ok(tl?.type === 'spans');
    assert.deepEqual(
      tl.spans.map((s) => [s.runId, s.depth, s.chaos ?? null, s.errorCode ?? null]),
      [
        ['R1', 0, null, null],
        ['R2', 1, 'EXP1', 'CHAOS_INJECTED'],
      ],
    );
    assert.deepEqual(
      state.events.map((e) => e.event.kind),
      ['proposal', 'chaos', 'breaker', 'chaos', 'proposal'],
    );
    assert.deepEqual(
      state.proposals?.map((p) => [p.proposalId, p.state]),
      [['PROP1', 'applied']],
    );
    assert.deepEqual(
      state.chaosRuns?.map((r) => [r.experimentId, r.state]),
      [['EXP1', 'stopped']],
    );
    const report = state.chaosReports?.[0]?.report;
    assert.equal(report?.experimentId, 'EXP1');
    assert.equal(report?.tasks[SAVE]?.during.errorRate.value, 0.2);
  });

  it('writes a self-contained HTML report with the numbers and the chaos report', async () => {
    const file = await writeStoredReport({ storePath: db, dir: join(tmp.dir, 'reports') });
    const html = readFileSync(file, 'utf8');
    assert.ok(file.startsWith(join(tmp.dir, 'reports')));
    assert.match(html, /id="fox-report-data"/);
    const data = JSON.parse(
      /<script type="application\/json" id="fox-report-data">(.*?)<\/script>/s.exec(html)![1]!,
    ) as ServerToUi[];
    assert.equal(stateOf(data).tasks.find((t) => t.id === LOOKUP)?.calls, 40);
    assert.equal(stateOf(data).chaosReports?.[0]?.report.name, 'latency on lookups');
    // Nothing to fetch: no external script, style or image.
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);
  });

  it('keeps chaos reports across a restart and tells runs apart', async () => {
    const again = await startProfiler({ storePath: db, pushIntervalMs: 60_000 });
    try {
      const reports = again.state().chaosReports ?? [];
      assert.deepEqual(
        reports.map((r) => [r.report.experimentId, r.processId]),
        [['EXP1', null]],
      );
    } finally {
      await again.close();
    }
    // The latest run saw no process; the first one is still there by id.
    assert.equal(stateOf(storedReportMessages(db)).processes.length, 0);
    assert.equal(stateOf(storedReportMessages(db, sessionId)).processes.length, 1);
    assert.throws(() => storedReportMessages(db, 'NOPE'), { code: 'FOX_REPORT_NO_RUN' });
  });

  it('`fox profile --report <db>` writes the report of a stored run', async () => {
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (d: Buffer) => (out += String(d)));
    const stderr = new PassThrough().on('data', (d: Buffer) => (err += String(d)));
    const io = { stdout, stderr, env: process.env };
    const dir = join(tmp.dir, 'cli-reports');
    assert.equal(
      await profileMain(['--report', db, '--session', sessionId, '--reports', dir], io),
      0,
      err,
    );
    const file = /report written to (.+\.html)/.exec(out)?.[1];
    assert.ok(file, out);
    assert.match(readFileSync(file, 'utf8'), /src\/r\.ts#lookup/);
    assert.equal(await profileMain(['--report', db, '--session', 'NOPE'], io), 1);
    assert.match(err, /no profiler run NOPE/);
    assert.equal(await profileMain(['--report', join(tmp.dir, 'missing.db')], io), 2);
  });
});
