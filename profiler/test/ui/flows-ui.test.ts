import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { startProfiler, writeStoredReport, type Profiler } from '../../src/index.js';
import { exited, firstJsonLine, spawnFixture, tempDir } from '../helpers.js';
import { CHROMIUM, artifacts, hasChromium, launchChromium, openPage, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { processView, uiState } from './ui-state.js';

/**
 * The "Flow runs" panel against a real program: flow-app.ts runs two real fox flows with the
 * profiler connected; the page lists them and draws the selected run's graph.
 */
describe('flow runs in the live UI (headless chromium, a real flow in a child process)', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let profiler: Profiler;
  let tmp: ReturnType<typeof tempDir>;
  let runIds: { checkout: string; failFast: string };
  let storePath: string;

  before(async function () {
    if (!hasChromium()) {
      console.log(`    (skipped: ${CHROMIUM} is missing)`);
      this.skip();
    }
    mkdirSync(artifacts, { recursive: true });
    tmp = tempDir();
    storePath = join(tmp.dir, 'fox.db');
    profiler = await startProfiler({ storePath, pushIntervalMs: 200 });
    const app = spawnFixture('flow-app.ts', { FOX_PROFILER: profiler.url, FIXTURE_MS: '300' });
    runIds = await firstJsonLine(app);
    assert.equal(await exited(app), 0);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await profiler?.close();
    tmp?.cleanup();
  });

  const graph = (page: Page) => page.locator('[data-testid="flow-graph"] svg');
  const node = (page: Page, name: string) =>
    graph(page).locator(`g.fox-flow-node[data-node="${name}"]`);
  const fill = (page: Page, name: string) =>
    page.evaluate<string>(
      `getComputedStyle(document.querySelector('[data-testid="flow-graph"] g[data-node="${name}"] rect')).fill`,
    );

  async function statuses(page: Page): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const g of await graph(page).locator('g.fox-flow-node').all()) {
      out[(await g.getAttribute('data-node'))!] = (await g.getAttribute('data-status'))!;
    }
    return out;
  }

  it('lists the runs; selecting one draws its nodes, statuses, durations and critical path', async () => {
    const { page, problems } = await openPage(browser!, profiler.uiUrl);
    const items = page.locator('[data-testid="flow-runs"] li.fox-flow-run');
    await poll(async () => (await items.count()) === 2, 'two flow runs listed');
    // Newest first.
    assert.deepEqual(
      await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))),
      [runIds.failFast, runIds.checkout],
    );
    assert.equal(await graph(page).count(), 0, 'no graph before a run is selected');

    await page.locator(`li[data-run-id="${runIds.checkout}"] button`).click();
    await graph(page).waitFor();
    assert.equal(await graph(page).locator('g.fox-flow-node').count(), 6);
    assert.deepEqual(await statuses(page), {
      fetch: 'ok',
      slow: 'ok',
      fast: 'ok',
      broken: 'failed',
      join: 'ok',
      after: 'skipped',
    });
    // Layered by depth: fetch first, its dependants next, join after slow and fast.
    const depth = async (n: string) => Number(await node(page, n).getAttribute('data-depth'));
    assert.deepEqual(
      await Promise.all(['fetch', 'slow', 'fast', 'broken', 'join', 'after'].map(depth)),
      [0, 1, 1, 1, 2, 2],
    );
    // Edges: one per need; the critical path fetch → slow → join is highlighted, nothing else.
    assert.equal(await graph(page).locator('path.fox-flow-edge').count(), 6);
    const critical = graph(page).locator('g.fox-flow-node[data-critical="true"]');
    assert.deepEqual(
      await critical.evaluateAll((els) => els.map((e) => e.getAttribute('data-node'))),
      ['fetch', 'slow', 'join'],
    );
    const criticalEdges = graph(page).locator('path.fox-flow-edge.fox-flow-critical');
    assert.deepEqual(
      await criticalEdges.evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`),
      ),
      ['fetch>slow', 'slow>join'],
    );
    // Per-node duration: slow sleeps 150 ms, fast 5 ms; shown on the node.
    const slowMs = Number(await node(page, 'slow').getAttribute('data-duration-ms'));
    const fastMs = Number(await node(page, 'fast').getAttribute('data-duration-ms'));
    assert.ok(slowMs >= 140 && slowMs < 2000, `slow took ${slowMs} ms`);
    assert.ok(fastMs < slowMs, `fast ${fastMs} ms`);
    assert.match(
      (await node(page, 'slow').locator('text').allTextContents()).join(' '),
      /ok · \d+ms/,
    );
    assert.match(
      (await node(page, 'after').locator('text').allTextContents()).join(' '),
      /skipped \(need failed\)/,
    );
    assert.match(
      (await page.locator('[data-testid="flow-caption"]').textContent()) ?? '',
      /critical path: fetch → slow → join/,
    );
    // Colour by status, from the stylesheet.
    assert.equal(await fill(page, 'fetch'), 'rgb(43, 138, 62)');
    assert.equal(await fill(page, 'broken'), 'rgb(201, 42, 42)');
    assert.notEqual(await fill(page, 'after'), await fill(page, 'fetch'));
    await page.screenshot({ path: join(artifacts, 'flow-run-graph.png'), fullPage: true });

    // The fail-fast run: the failure cancelled the running node and skipped its dependant.
    await page.locator(`li[data-run-id="${runIds.failFast}"] button`).click();
    await poll(
      async () => (await graph(page).locator('g.fox-flow-node').count()) === 3,
      'fail-fast graph',
    );
    assert.deepEqual(await statuses(page), { quick: 'failed', long: 'cancelled', tail: 'skipped' });
    assert.notEqual(await fill(page, 'long'), await fill(page, 'quick'));
    assert.deepEqual(
      await critical.evaluateAll((els) => els.map((e) => e.getAttribute('data-node'))),
      ['quick'],
    );
    // Still drawn after further state pushes.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await graph(page).locator('g.fox-flow-node').count(), 3);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('the stored report of the run draws the same graph', async () => {
    await profiler.close();
    const file = await writeStoredReport({ storePath, dir: join(tmp.dir, 'reports') });
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const items = page.locator('[data-testid="flow-runs"] li.fox-flow-run');
    await poll(async () => (await items.count()) === 2, 'two flow runs in the report');
    await page.locator(`li[data-run-id="${runIds.checkout}"] button`).click();
    await graph(page).waitFor();
    assert.equal(await graph(page).locator('g.fox-flow-node').count(), 6);
    assert.equal(await graph(page).locator('g.fox-flow-node[data-critical="true"]').count(), 3);
    assert.equal(await node(page, 'broken').getAttribute('data-status'), 'failed');
    await page.close();
  });

  it('a run in progress: running and pending nodes, redrawn as it advances', async () => {
    const host = await HostPage.build();
    try {
      const { page, problems } = await host.open(browser!);
      await poll(async () => (await posted(page)).length > 0, 'ready');
      const t0 = Date.now() - 500;
      const state = (long: 'running' | 'ok') =>
        uiState({
          processes: [processView('P1', 11)],
          flowRuns: [
            {
              processId: 'P1',
              run: {
                type: 'flow-run',
                v: 1,
                runId: 'LIVE',
                flow: 'live',
                parentRunId: null,
                status: long === 'ok' ? 'ok' : 'running',
                start: t0,
                ...(long === 'ok' ? { end: t0 + 400 } : {}),
                nodes: [
                  { name: 'first', needs: [], status: 'ok', start: t0, end: t0 + 5 },
                  long === 'ok'
                    ? { name: 'long', needs: ['first'], status: 'ok', start: t0 + 5, end: t0 + 300 }
                    : { name: 'long', needs: ['first'], status: 'running', start: t0 + 5 },
                  long === 'ok'
                    ? {
                        name: 'last',
                        needs: ['long'],
                        status: 'ok',
                        start: t0 + 300,
                        end: t0 + 400,
                      }
                    : { name: 'last', needs: ['long'], status: 'pending' },
                ],
                omitted: 0,
                criticalPath: long === 'ok' ? ['first', 'long', 'last'] : [],
              },
            },
          ],
        });
      await deliver(page, { type: 'state', state: state('running') });
      await page.locator('li[data-run-id="LIVE"] button').click();
      await graph(page).waitFor();
      assert.equal(await node(page, 'long').getAttribute('data-status'), 'running');
      assert.equal(await node(page, 'last').getAttribute('data-status'), 'pending');
      assert.equal(await fill(page, 'long'), 'rgb(28, 126, 214)');
      assert.notEqual(await fill(page, 'last'), await fill(page, 'long'));
      assert.equal(await graph(page).locator('[data-critical="true"]').count(), 0);

      // The next progress frame: the run is still running, one node further.
      const next = state('running');
      const nodes = next.flowRuns![0]!.run.nodes;
      nodes[1] = { name: 'long', needs: ['first'], status: 'ok', start: t0 + 5, end: t0 + 300 };
      nodes[2] = { name: 'last', needs: ['long'], status: 'running', start: t0 + 300 };
      await deliver(page, { type: 'state', state: next });
      await poll(
        async () => (await node(page, 'last').getAttribute('data-status')) === 'running',
        'the running run redrawn one node further',
      );
      assert.equal(await node(page, 'long').getAttribute('data-status'), 'ok');

      await deliver(page, { type: 'state', state: state('ok') });
      await poll(
        async () => (await node(page, 'long').getAttribute('data-status')) === 'ok',
        'the run redrawn when it ended',
      );
      assert.equal(await graph(page).locator('g.fox-flow-node[data-critical="true"]').count(), 3);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      host.dispose();
    }
  });
});
