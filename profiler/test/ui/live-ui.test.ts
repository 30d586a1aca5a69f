import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startProfiler, writeReport, type Profiler } from '../../src/index.js';
import { exited, spawnFixture, tempDir } from '../helpers.js';
import {
  CHROMIUM,
  artifacts,
  hasChromium,
  launchChromium,
  openPage as open,
  poll,
} from './browser.js';

describe('live UI in headless chromium', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let profiler: Profiler;
  let app: ChildProcess;
  let tmp: ReturnType<typeof tempDir>;

  before(async function () {
    if (!hasChromium()) {
      console.log(`    (skipped: ${CHROMIUM} is missing; run scripts/install-browser.sh as root)`);
      this.skip();
    }
    mkdirSync(artifacts, { recursive: true });
    tmp = tempDir();
    profiler = await startProfiler({ storePath: join(tmp.dir, 'fox.db'), pushIntervalMs: 250 });
    app = spawnFixture('exporting-app.ts', {
      FOX_PROFILER: profiler.url,
      FIXTURE_MS: '0',
      FIXTURE_INTERVAL_MS: '250',
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (app) {
      app.kill('SIGKILL');
      await exited(app);
    }
    await profiler?.close();
    tmp?.cleanup();
  });

  const openPage = (colorScheme: 'light' | 'dark'): Promise<{ page: Page; problems: string[] }> =>
    open(browser!, profiler.uiUrl, colorScheme);

  it('loads, shows a task of a real running process, and updates', async () => {
    const { page, problems } = await openPage('light');
    const row = page.locator('tr[data-task-id="fixture#handle"]');
    await row.waitFor({ timeout: 30_000 });
    const calls = row.locator('td[data-col="calls"]');
    const before = await calls.textContent();
    // Polled from here: waitForFunction would eval in the page, which its CSP forbids.
    await poll(async () => (await calls.textContent()) !== before, 'the calls cell to update');
    assert.notEqual(await calls.textContent(), before);
    assert.ok((await page.locator('[data-testid="processes"] li').count()) >= 2);
    // The flaky task's breaker opens for real in the fixture; the runtime forwards the change.
    await page
      .locator('[data-testid="events"] li.fox-event-breaker')
      .first()
      .waitFor({ timeout: 15_000 });
    assert.match(
      (await page.locator('[data-testid="events"]').textContent()) ?? '',
      /fixture#flaky: breaker closed → open/,
    );
    assert.equal(await page.locator('figure.fox-figure').count(), 2);

    // The timeline of the selected task shows its calls with their nested children.
    await row.click();
    await page.locator('[data-testid="timeline"] g.fox-span').first().waitFor({ timeout: 15_000 });
    const spans = page.locator('[data-testid="timeline"] g.fox-span');
    await poll(async () => (await spans.count()) > 3, 'several spans');
    const labels = await page.locator('[data-testid="timeline"] .fox-span-label').allTextContents();
    assert.ok(
      labels.some((l) => l.includes('fixture#lookup')),
      labels.join('|'),
    );
    await page.screenshot({ path: join(artifacts, 'live-light.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no console errors (CSP included)');
    await page.close();
  });

  it('is readable in dark mode and toggles theme by class', async () => {
    const { page, problems } = await openPage('dark');
    await page.locator('tr[data-task-id="fixture#handle"]').waitFor({ timeout: 30_000 });
    // Runtime.evaluate (unlike waitForFunction) is not subject to the page's CSP.
    const bg = () =>
      page.evaluate<string>(`getComputedStyle(document.querySelector('.fox-ui')).backgroundColor`);
    const dark = await bg();
    await page.screenshot({ path: join(artifacts, 'live-dark.png'), fullPage: true });
    await page.locator('button.fox-theme').click();
    const light = await bg();
    assert.notEqual(dark, light);
    assert.equal(light, 'rgb(255, 255, 255)');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('writes a self-contained report that renders offline', async () => {
    const file = await writeReport(profiler, join(tmp.dir, 'reports'));
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    const row = page.locator('tr[data-task-id="fixture#handle"]');
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    await page.locator('[data-testid="timeline"] g.fox-span').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    assert.deepEqual(requests, [], 'the report loads nothing from the network');
    await page.close();
  });
});
