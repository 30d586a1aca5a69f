import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import type { Browser, Page } from 'playwright-core';
import { startProfiler, writeStoredReport, type Profiler } from '../../src/index.js';
import { FakeExporter, chaosReport, span } from '../fake-exporter.js';
import { tempDir, until } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, openPage, poll } from './browser.js';

const LOOKUP = 'src/shop.ts#lookup';
const OTHER = 'src/other.ts#work';

/** The legend texts of the two gauge charts. */
async function legends(page: Page): Promise<string[]> {
  return page.locator('[data-testid="charts"] .fox-legend').allTextContents();
}

describe('chaos and multi-process charts in the browser page', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let profiler: Profiler;
  let tmp: ReturnType<typeof tempDir>;
  let a: FakeExporter;
  let b: FakeExporter;

  before(async function () {
    if (!hasChromium()) this.skip();
    mkdirSync(artifacts, { recursive: true });
    tmp = tempDir();
    // The run "started" 10 s ago (only Date is faked, while it starts), so the intervals and
    // spans below, a few seconds old, belong to it.
    const clock = FakeTimers.install({ now: Date.now() - 10_000, toFake: ['Date'] });
    profiler = await startProfiler({
      storePath: join(tmp.dir, 'fox.db'),
      pushIntervalMs: 200,
    }).finally(() => clock.uninstall());
    a = await FakeExporter.connect(profiler.url, 'P-CHAOS', [{ id: LOOKUP }], 7001);
    b = await FakeExporter.connect(profiler.url, 'P-OTHER', [{ id: OTHER }], 7002);
    const now = Date.now();
    for (let i = 0; i < 4; i++) {
      a.interval(now - 3000 + i * 1000, [{ id: LOOKUP, latencies: [2, 3, 4] }], {
        delayP99: 5 + i,
        elu: 0.2,
      });
      b.interval(now - 2500 + i * 1000, [{ id: OTHER, latencies: [1] }], {
        delayP99: 30 + i,
        elu: 0.7,
      });
    }
    a.events([
      {
        kind: 'chaos',
        at: now,
        experimentId: 'EXP-LIVE',
        action: 'start',
        taskIds: [LOOKUP],
        detail: 'latency 200ms on 30%',
      },
    ]);
    a.spans([
      span('S1', LOOKUP, now - 900, 3),
      span('S2', LOOKUP, now - 600, 210, { chaos: 'EXP-LIVE' }),
      span('S3', LOOKUP, now - 300, 4),
      span('S4', LOOKUP, now - 200, 12, {
        chaos: 'EXP-LIVE',
        outcome: 'error',
        errorCode: 'CHAOS_INJECTED',
      }),
    ]);
    await until(() => profiler.state().tasks.length === 2, 5000, 'both tasks');
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    a?.close();
    b?.close();
    await profiler?.close();
    tmp?.cleanup();
  });

  it('charts every process under "All processes", and one process when selected', async () => {
    const { page, problems } = await openPage(browser!, profiler.uiUrl);
    await page.locator('tr[data-task-id="src/other.ts#work"]').waitFor({ timeout: 15_000 });
    const all = await legends(page);
    assert.equal(all.length, 2);
    for (const legend of all) {
      assert.match(legend, /pid 7001/);
      assert.match(legend, /pid 7002/);
    }
    assert.equal(
      await page.locator('[data-testid="charts"] figure').first().locator('polyline').count(),
      2,
      'one delay line per process',
    );
    await page.locator('[data-process-id="P-OTHER"] button').click();
    await poll(async () => /p50/.test((await legends(page))[0] ?? ''), 'the per-process chart');
    const one = await legends(page);
    assert.match(one[0]!, /p50 .*p99 33\.0ms.*max/);
    assert.doesNotMatch(one.join(), /pid 7001/);
    assert.match(
      (await page.locator('[data-testid="charts"] figcaption').first().textContent()) ?? '',
      /pid 7002/,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows a running experiment, marks injected spans, and sends the kill switch', async () => {
    const { page, problems } = await openPage(browser!, profiler.uiUrl);
    const banner = page.locator('[data-testid="chaos-banner"]');
    await banner.waitFor({ timeout: 15_000 });
    assert.match(
      (await banner.textContent()) ?? '',
      /Chaos experiment running in pid 7001 on src\/shop\.ts#lookup/,
    );

    await page.locator(`tr[data-task-id="${LOOKUP}"]`).click();
    const injected = page.locator('[data-testid="timeline"] g.fox-chaos');
    await injected.first().waitFor({ timeout: 10_000 });
    assert.equal(await injected.count(), 2);
    assert.equal(await injected.first().getAttribute('data-chaos'), 'EXP-LIVE');
    assert.match(
      (await injected.last().locator('title').textContent()) ?? '',
      /error \(CHAOS_INJECTED\).*chaos experiment EXP-LIVE/,
    );
    assert.equal(await injected.first().locator('rect.fox-chaos-hatch').count(), 1);
    await page.screenshot({ path: join(artifacts, 'chaos-running.png'), fullPage: true });

    // The kill switch in the header stops chaos in every connected process (armed, i.e. loud,
    // while an experiment is known to run).
    const killSwitch = page.locator('[data-testid="chaos-kill"]');
    assert.match((await killSwitch.getAttribute('class')) ?? '', /fox-kill-armed/);
    await killSwitch.click();
    await until(
      () => a.controls('chaos-kill').length === 1 && b.controls('chaos-kill').length === 1,
      5000,
      'the kill frames',
    );
    const feedback = page.locator('[data-testid="chaos-feedback"]');
    await poll(
      async () => /sent to 2 processes/.test((await feedback.textContent()) ?? ''),
      'the relay feedback',
    );
    // The banner's Stop is for the experiment's own process.
    await banner.locator('button[data-action="stop"]').click();
    await until(() => a.controls('chaos-kill').length === 2, 5000, 'the scoped kill');
    assert.equal(b.controls('chaos-kill').length, 1);

    // The process reports the end and the report: the banner goes, the report shows.
    const now = Date.now();
    a.events([
      {
        kind: 'chaos',
        at: now,
        experimentId: 'EXP-LIVE',
        action: 'abort',
        taskIds: [],
        detail: 'killed',
      },
      { kind: 'chaos-report', at: now, report: chaosReport('EXP-LIVE', LOOKUP, now) },
    ]);
    await poll(async () => await banner.isHidden(), 'the banner to go');
    assert.doesNotMatch((await killSwitch.getAttribute('class')) ?? '', /fox-kill-armed/);
    const during = page.locator(
      `[data-testid="chaos-reports"] tr[data-chaos-task="${LOOKUP}"][data-phase="during"]`,
    );
    await during.waitFor({ timeout: 10_000 });
    assert.equal(await during.locator('[data-col="error-rate"]').textContent(), '20% [18%–22%]');
    assert.equal(await during.locator('[data-col="p99"]').textContent(), '250ms [245ms–255ms]');
    assert.equal(
      await during.locator('[data-col="fallback-rate"]').textContent(),
      '10% [5.0%–15%]',
    );
    const runs = await page.locator('[data-testid="chaos-runs"]').textContent();
    assert.match(runs ?? '', /aborted/);
    await page.screenshot({ path: join(artifacts, 'chaos-report-light.png'), fullPage: true });
    await page.locator('button.fox-theme').click();
    await page.screenshot({ path: join(artifacts, 'chaos-report-dark.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no console errors (CSP included)');
    assert.equal(profiler.counters().ui.chaosKillsRelayed, 3);
    await page.close();
  });

  it('renders the stored run offline: both processes, the chaos report, no controls', async () => {
    await until(
      () => (profiler.counters().store?.aggregatesStored ?? 0) >= 8,
      5000,
      'the intervals stored',
    );
    // The run is still going: let the writer's next flush (every 250 ms) store what is queued.
    await new Promise((r) => setTimeout(r, 400));
    const file = await writeStoredReport({
      storePath: join(tmp.dir, 'fox.db'),
      sessionId: profiler.sessionId!,
      dir: join(tmp.dir, 'reports'),
    });
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(file).href);
    await page.locator(`tr[data-task-id="${LOOKUP}"]`).waitFor({ timeout: 10_000 });
    const [delay] = await legends(page);
    assert.match(delay!, /pid 7001/);
    assert.match(delay!, /pid 7002/);
    assert.match(
      (await page.locator('[data-testid="status"]').textContent()) ?? '',
      /run of .* · 2 processes · 8 intervals · 4 spans/,
    );
    await page
      .locator(`[data-testid="chaos-reports"] tr[data-chaos-task="${LOOKUP}"]`)
      .first()
      .waitFor();
    assert.equal(await page.locator('[data-testid="chaos-kill"]').isVisible(), false);
    await page.locator(`tr[data-task-id="${LOOKUP}"]`).click();
    await page.locator('[data-testid="timeline"] g.fox-chaos').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, 'stored-report.png'), fullPage: true });
    assert.deepEqual(requests, [], 'the report loads nothing from the network');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
