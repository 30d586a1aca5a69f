import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startProfiler, type Profiler } from '../../src/index.js';
import { FakeExporter } from '../fake-exporter.js';
import { tempDir, until } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, openPage, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { gaugePoint, processView, uiState } from './ui-state.js';

/**
 * The page after several runs of a program: the first run exits, the next one connects, and
 * the page must say which is which and follow the new one.
 */

const TASK = 'src/report.ts#buildReport';
const row = (page: Page, processId: string) =>
  page.locator(`tr[data-task-id="${TASK}"][data-process-id="${processId}"]`);
const twenty = Array.from({ length: 20 }, () => 2);

describe('the UI after several runs', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;

  before(async function () {
    if (!hasChromium()) this.skip();
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  describe('with a live profiler', () => {
    let profiler: Profiler;
    let tmp: ReturnType<typeof tempDir>;
    const exporters: FakeExporter[] = [];

    before(async () => {
      tmp = tempDir();
      profiler = await startProfiler({ storePath: join(tmp.dir, 'fox.db'), pushIntervalMs: 200 });
    });
    after(async () => {
      for (const e of exporters) e.close();
      await profiler?.close();
      tmp?.cleanup();
    });

    const run = async (processId: string, pid: number): Promise<FakeExporter> => {
      const e = await FakeExporter.connect(profiler.url, processId, [{ id: TASK }], pid);
      exporters.push(e);
      e.interval(Date.now(), [{ id: TASK, latencies: twenty }]);
      return e;
    };

    // One page through a sequence of runs, as a user sees it; each step checks one thing.
    let page: Page;
    let problems: string[];
    let first: FakeExporter;
    const rate = (processId: string) => row(page, processId).locator('td[data-col="rate"]');
    const pid = (processId: string) => row(page, processId).locator('td[data-col="pid"]');

    it('shows no calls per second for a run that exited', async () => {
      first = await run('P-RUN1', 7101);
      ({ page, problems } = await openPage(browser!, profiler.uiUrl));
      const only = page.locator(`tr[data-task-id="${TASK}"] td[data-col="rate"]`);
      await only.waitFor({ timeout: 15_000 });
      assert.equal(await only.innerText(), '20');
      // The user watches the first run: its process and its task.
      await page.locator('[data-testid="processes"] [data-process-id="P-RUN1"] button').click();
      await page.locator(`tr[data-task-id="${TASK}"]`).click();

      first.close();
      await poll(
        async () => /○ pid 7101/.test(await page.locator('[data-testid="processes"]').innerText()),
        'the first run to show as exited',
      );
      await new Promise((r) => setTimeout(r, 600)); // a few more pushes
      assert.equal(await only.innerText(), '0.0');
    });

    it('selects the next run in place of the exited one, with the same task', async () => {
      await run('P-RUN2', 7102);
      const selected = page.locator('[data-testid="processes"] li.fox-selected');
      await page
        .locator('[data-testid="processes"] [data-process-id="P-RUN2"]')
        .waitFor({ timeout: 15_000 });
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await selected.getAttribute('data-process-id'), 'P-RUN2');
      assert.equal(await page.locator('tr.fox-selected').getAttribute('data-process-id'), 'P-RUN2');
      assert.equal(await rate('P-RUN2').innerText(), '20');
    });

    it('names the process of each row under "All processes", and marks the exited one', async () => {
      await page.locator('[data-testid="processes"] button', { hasText: 'All processes' }).click();
      await poll(
        async () => (await page.locator(`tr[data-task-id="${TASK}"]`).count()) === 2,
        'both runs',
      );
      assert.equal(await pid('P-RUN1').innerText(), '○ 7101');
      assert.equal(await pid('P-RUN2').innerText(), '● 7102');
      assert.equal(await page.locator('th[data-col="pid"]').isVisible(), true);
      assert.match((await row(page, 'P-RUN1').getAttribute('class')) ?? '', /fox-gone/);
      await page.screenshot({ path: join(artifacts, 'several-runs.png'), fullPage: true });

      // One run alone needs no pid column.
      await page.locator('[data-testid="processes"] [data-process-id="P-RUN2"] button').click();
      await poll(async () => !(await pid('P-RUN2').isVisible()), 'the pid column to go');
      assert.equal(await page.locator('th[data-col="pid"]').isVisible(), false);
      assert.deepEqual(problems, []);
      await page.close();
    });

    it('keeps a selected live run selected when another connects', async () => {
      await until(() => profiler.state().processes.some((p) => p.id === 'P-RUN2'), 5000);
      const { page, problems } = await openPage(browser!, profiler.uiUrl);
      await page.locator('[data-testid="processes"] [data-process-id="P-RUN2"] button').click();
      await run('P-RUN3', 7103);
      await page
        .locator('[data-testid="processes"] [data-process-id="P-RUN3"]')
        .waitFor({ timeout: 15_000 });
      await new Promise((r) => setTimeout(r, 500)); // a few more pushes
      assert.equal(
        await page
          .locator('[data-testid="processes"] li.fox-selected')
          .getAttribute('data-process-id'),
        'P-RUN2',
      );
      assert.deepEqual(problems, []);
      await page.close();
    });
  });

  describe('through the host API', () => {
    let host: HostPage | undefined;
    before(async () => {
      host = await HostPage.build();
    });
    after(() => host?.dispose());

    const open = async (): Promise<{ page: Page; problems: string[] }> => {
      const opened = await host!.open(browser!);
      await poll(async () => (await posted(opened.page)).length > 0, 'ready');
      return opened;
    };

    it("draws a first interval's charts on a readable axis", async () => {
      const { page, problems } = await open();
      const at = Date.now();
      await deliver(page, {
        type: 'state',
        state: uiState({ processes: [processView('P1', 77, { gauges: [gaugePoint(at)] })] }),
      });
      const axis = page.locator('[data-testid="charts"] figure').first().locator('text.fox-axis');
      await axis.first().waitFor();
      assert.deepEqual(await axis.allTextContents(), ['0', '500µs', '1.0ms']);
      // Real delays get a round scale above them.
      await deliver(page, {
        type: 'state',
        state: uiState({
          processes: [
            processView('P1', 77, {
              gauges: [gaugePoint(at, { delayP99: 3 }), gaugePoint(at + 1000, { delayP99: 12.5 })],
            }),
          ],
        }),
      });
      await poll(async () => (await axis.allTextContents()).includes('20.0ms'), 'a 20 ms scale');
      assert.deepEqual(
        (await axis.allTextContents()).filter((t) => t.endsWith('ms') || t === '0'),
        ['0', '10.0ms', '20.0ms'],
      );
      assert.deepEqual(problems, []);
      await page.close();
    });

    it('offers "Stop chaos" only while an experiment runs where it can be stopped', async () => {
      const { page, problems } = await open();
      const kill = page.locator('[data-testid="chaos-kill"]');
      const now = Date.now();
      const experiment = (state: 'running' | 'stopped') => ({
        processId: 'P1',
        experimentId: '01JEXPERIMENT000000000000',
        taskIds: [TASK],
        state,
        startedAt: now - 1000,
        endedAt: state === 'running' ? null : now,
      });
      const show = (connected: boolean, runs: ReturnType<typeof experiment>[]) =>
        deliver(page, {
          type: 'state',
          state: uiState({ processes: [processView('P1', 77, { connected })], chaosRuns: runs }),
        });

      await show(true, []);
      await page.locator('[data-testid="status"]', { hasText: '1 process' }).waitFor();
      assert.equal(await kill.isVisible(), false, 'no experiment: no button');

      await show(true, [experiment('running')]);
      await kill.waitFor();
      assert.equal(await kill.isEnabled(), true);

      await show(false, [experiment('running')]);
      await poll(async () => !(await kill.isEnabled()), 'disabled: its process is gone');

      await show(true, [experiment('stopped')]);
      await poll(async () => !(await kill.isVisible()), 'hidden once it stopped');
      assert.deepEqual(problems, []);
      await page.close();
    });
  });
});
