import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { startProfiler, writeStoredReport, type HotFunctionView } from '../../src/index.js';
import { SessionReader } from '../../src/storage/session-reader.js';
import { fmtMs } from '../../src/ui/format.js';
import { exited, spawnFixture, tempDir } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { processView, uiState } from './ui-state.js';

/**
 * The "Hot functions" table: sampled CPU per source function (self, total, samples, longest
 * stretch) in the live UI and in the `fox profile` report, for functions that are no task.
 */

const rows = (page: Page) => page.locator('[data-testid="hot-functions"] tbody tr');

/** Each row's cells as text, pid column left out when hidden. */
async function table(page: Page): Promise<string[][]> {
  const out: string[][] = [];
  for (const row of await rows(page).all()) {
    const cells = await row.locator('td:not([hidden])').allInnerTexts();
    out.push(cells.map((c) => c.replace(/\s+/g, ' ').trim()));
  }
  return out;
}

const hot = (processId: string, name: string, line: number, ms: number): HotFunctionView => ({
  processId,
  file: 'src/work.ts',
  line,
  name,
  selfMs: ms,
  totalMs: ms + 10,
  samples: ms + 10,
  longestSyncMs: ms / 10,
});

describe('hot functions in the UI', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let host: HostPage | undefined;
  let tmp: ReturnType<typeof tempDir>;

  before(async function () {
    if (!hasChromium()) this.skip();
    mkdirSync(artifacts, { recursive: true });
    tmp = tempDir();
    host = await HostPage.build();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    host?.dispose();
    tmp?.cleanup();
  });

  it('live: one row per function with self, total, samples and longest stretch; per process', async () => {
    const { page, problems } = await host!.open(browser!);
    await poll(async () => (await posted(page)).length > 0, 'ready');
    const processes = [processView('P1', 11), processView('P2', 22)];
    await deliver(page, { type: 'state', state: uiState({ processes }) });
    await poll(async () => (await rows(page).count()) === 1, 'the empty table');
    assert.match((await table(page))[0]![0]!, /No CPU samples yet/);

    const functions = [
      hot('P1', 'signQuote', 9, 420),
      hot('P2', 'parse', 30, 120),
      hot('P1', 'render', 20, 40),
    ];
    await deliver(page, { type: 'state', state: uiState({ processes, hotFunctions: functions }) });
    await poll(async () => (await rows(page).count()) === 3, 'three rows');
    assert.deepEqual(await table(page), [
      ['signQuote src/work.ts:9', '11', '420ms', '430ms', '430', '42.0ms'],
      ['parse src/work.ts:30', '22', '120ms', '130ms', '130', '12.0ms'],
      ['render src/work.ts:20', '11', '40.0ms', '50.0ms', '50', '4.0ms'],
    ]);
    // Its headers carry their own attribute: the tasks table's `th[data-col="pid"]` stays unique.
    const hotPidHead = page.locator('[data-testid="hot-functions"] th[data-hot-col="pid"]');
    assert.equal(await hotPidHead.isVisible(), true);
    assert.equal(await page.locator('[data-testid="hot-functions"] [data-col]').count(), 0);
    assert.equal(await page.locator('th[data-col="pid"]').count(), 1);

    // Selecting a process shows its functions only (and no pid column then).
    await page.locator('[data-process-id="P2"] button').click();
    await poll(async () => (await rows(page).count()) === 1, "P2's row");
    assert.deepEqual(await table(page), [
      ['parse src/work.ts:30', '120ms', '130ms', '130', '12.0ms'],
    ]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('report: a profiled run lists the CPU-heavy plain function with its numbers', async () => {
    const db0 = join(tmp.dir, 'fox.db');
    const profiler = await startProfiler({ storePath: db0, pushIntervalMs: 60_000 });
    try {
      // `crunch` (no task) spins 15 ms per round on the event loop for 1.5 s.
      const app = spawnFixture(
        'cpu-app.ts',
        { FOX_PROFILER: profiler.url, FIXTURE_MS: '1500' },
        { coverage: false },
      );
      assert.equal(await exited(app), 0);
      // The live state carries the same table.
      await poll(
        async () => profiler.state().hotFunctions?.some((f) => f.name === 'crunch') ?? false,
        'crunch in the live state',
      );
    } finally {
      await profiler.close();
    }
    const file = await writeStoredReport({ storePath: db0, dir: join(tmp.dir, 'reports') });
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const crunch = page.locator('tr.fox-hot-function[data-function="test/fixtures/cpu-app.ts:8"]');
    await crunch.waitFor({ timeout: 10_000 });
    await crunch.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'report-hot-functions.png'), fullPage: true });
    assert.match(
      await page.locator('[data-testid="hot-functions"] h2').innerText(),
      /Hot functions · this run/i,
    );
    // The busiest function of the program is crunch: first row, with the store's sums for it
    // (the machine's load decides how much CPU it got, not the report).
    const first = (await table(page))[0]!;
    assert.match(first[0]!, /^crunch test\/fixtures\/cpu-app\.ts:8$/);
    const db = new Database(db0, { readonly: true });
    let stored: ReturnType<SessionReader['cpuFunctions']>;
    try {
      const reader = new SessionReader(db);
      const processId = reader.processes(reader.session()!.id)[0]!.id;
      stored = reader.cpuFunctions(processId, { from: 0, to: Date.now() });
    } finally {
      db.close();
    }
    const crunchSum = stored.find((f) => f.name === 'crunch')!;
    assert.deepEqual(first.slice(1), [
      fmtMs(crunchSum.selfMs),
      fmtMs(crunchSum.totalMs),
      String(crunchSum.samples),
      fmtMs(crunchSum.longestSyncMs),
    ]);
    // 15 ms per call on the loop: at least a few ms in one stretch however loaded the machine.
    assert.ok(crunchSum.longestSyncMs >= 5, `longest ${crunchSum.longestSyncMs} ms`);
    assert.ok(crunchSum.samples >= 20, `samples ${crunchSum.samples}`);
    await page.close();
  });
});
