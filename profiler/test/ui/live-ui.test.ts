import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startProfiler, writeReport, type Profiler } from '../../src/index.js';
import { exited, repoRoot, spawnFixture, tempDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = join(repoRoot, 'artifacts', 'profiler-ui');

describe('live UI in headless chromium', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let profiler: Profiler;
  let app: ChildProcess;
  let tmp: ReturnType<typeof tempDir>;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
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
    // launch() (not launchPersistentContext) runs on a new, empty, temporary profile.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
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

  async function openPage(
    colorScheme: 'light' | 'dark',
  ): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 }, colorScheme });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(profiler.uiUrl);
    return { page, problems };
  }

  it('loads, shows a task of a real running process, and updates', async () => {
    const { page, problems } = await openPage('light');
    const row = page.locator('tr[data-task-id="fixture#handle"]');
    await row.waitFor({ timeout: 30_000 });
    const calls = row.locator('td[data-col="calls"]');
    const before = await calls.textContent();
    await page.waitForFunction(
      ({ sel, text }) => document.querySelector(sel)?.textContent !== text,
      { sel: 'tr[data-task-id="fixture#handle"] td[data-col="calls"]', text: before },
      { timeout: 15_000 },
    );
    assert.notEqual(await calls.textContent(), before);
    assert.ok((await page.locator('[data-testid="processes"] li').count()) >= 2);
    assert.equal(await page.locator('figure.fox-figure').count(), 2);

    // The timeline of the selected task shows its calls with their nested children.
    await row.click();
    await page.locator('[data-testid="timeline"] g.fox-span').first().waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="timeline"] g.fox-span').length > 3,
      undefined,
      { timeout: 15_000 },
    );
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
    const bg = () => page.locator('.fox-ui').evaluate((el) => getComputedStyle(el).backgroundColor);
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
