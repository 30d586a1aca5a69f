import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startProfiler, writeStoredReport } from '../../src/index.js';
import { exited, spawnFixture, tempDir } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { gaugePoint, processView, uiState } from './ui-state.js';

/**
 * Gauges before a process has measured anything (its first interval) read "no data yet" in the
 * charts, live and in the report, instead of a flat 0 ms delay and 100 % utilisation.
 */

const NONE = { delayP50: null, delayP99: null, delayMax: null, elu: null, cpu: null };

const legends = (page: Page) => page.locator('figure.fox-figure .fox-legend').allTextContents();
const chartTexts = (page: Page) => page.locator('figure.fox-figure svg text').allTextContents();

describe('gauges without data in the UI', function () {
  this.timeout(90_000);
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

  it('live: says "no data yet" until a point has data, then shows it', async () => {
    const { page, problems } = await host!.open(browser!);
    await poll(async () => (await posted(page)).length > 0, 'ready');
    const now = Date.now();
    const first = gaugePoint(now - 1000, NONE);
    await deliver(page, {
      type: 'state',
      state: uiState({ processes: [processView('P1', 77, { gauges: [first] })] }),
    });
    await page.locator('figure.fox-figure').nth(1).waitFor();
    assert.deepEqual(await legends(page), ['pid 77 no data yet', 'pid 77 no data yet']);
    assert.equal((await chartTexts(page)).filter((t) => t === 'no data yet').length, 2);
    assert.equal(await page.locator('figure.fox-figure polyline').count(), 0);

    const measured = gaugePoint(now, { delayP99: 1.5, elu: 0.25, cpu: 0.2 });
    await deliver(page, {
      type: 'state',
      state: uiState({ processes: [processView('P1', 77, { gauges: [first, measured] })] }),
    });
    await poll(async () => (await legends(page))[0] !== 'pid 77 no data yet', 'a measured point');
    assert.deepEqual(await legends(page), ['pid 77 1.5ms', 'pid 77 25%']);
    assert.ok(!(await chartTexts(page)).includes('no data yet'));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('report: a short program\'s run says "no data yet", not ELU 100 % and a 0 ms delay', async () => {
    const db = join(tmp.dir, 'fox.db');
    const profiler = await startProfiler({ storePath: db, pushIntervalMs: 60_000 });
    try {
      // Shorter than one reporting interval: its only aggregates frame is the shutdown flush.
      const app = spawnFixture('exporting-app.ts', {
        FOX_PROFILER: profiler.url,
        FIXTURE_MS: '300',
        FIXTURE_INTERVAL_MS: '60000',
      });
      assert.equal(await exited(app), 0);
      await poll(
        async () => profiler.state().processes.some((p) => p.gauges.length > 0),
        'the frame',
      );
    } finally {
      await profiler.close();
    }
    const file = await writeStoredReport({ storePath: db, dir: join(tmp.dir, 'reports') });
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    await page.locator('figure.fox-figure').nth(1).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, 'report-no-data.png'), fullPage: true });
    const shown = await legends(page);
    assert.equal(shown.length, 2);
    for (const legend of shown) assert.match(legend, /^pid \d+ no data yet$/);
    assert.ok(!shown.some((l) => /100%|\b0\b/.test(l)), shown.join(' | '));
    await page.close();
  });
});
