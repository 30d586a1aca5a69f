import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { artifacts, hasChromium, launchChromium, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { processView, taskView, uiState } from './ui-state.js';

/**
 * A task id is the product's contract (`<path from the project root>#<name>`): the UI shows it
 * whole wherever it names a task, as the editor's hover and the sdk do, and shortens a long
 * one only visually, with the whole id on hover.
 */

const ID = 'src/report.ts#buildReport';
const LONG = 'src/services/billing/reports/monthly/aggregation/report.ts#ReportBuilder.build';

describe('task ids in the UI', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let host: HostPage | undefined;

  before(async function () {
    if (!hasChromium()) this.skip();
    mkdirSync(artifacts, { recursive: true });
    host = await HostPage.build();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    host?.dispose();
  });

  it('shows the whole id in the task table, the timeline, events, approvals and chaos', async () => {
    const { page, problems } = await host!.open(browser!);
    await poll(async () => (await posted(page)).length > 0, 'ready');
    const now = Date.now();
    await deliver(page, {
      type: 'state',
      state: uiState({
        processes: [processView('P1', 77)],
        tasks: [taskView('P1', ID, { location: { file: 'src/report.ts', line: 12, column: 3 } })],
        events: [
          {
            processId: 'P1',
            event: { kind: 'breaker', at: now, taskId: ID, from: 'closed', to: 'open' },
          },
        ],
        proposals: [
          {
            processId: 'P1',
            proposalId: 'PR1',
            taskId: ID,
            summary: 'switch buildReport to tfox',
            state: 'pending',
            payloadHash: 'c'.repeat(64),
            approvalsNeeded: 1,
            createdAt: now,
            at: now,
          },
        ],
        chaosRuns: [
          {
            processId: 'P1',
            experimentId: '01JEXPERIMENT000000000000',
            taskIds: [ID],
            state: 'running',
            startedAt: now,
            endedAt: null,
          },
        ],
      }),
    });
    const cell = page.locator(`tr[data-task-id="${ID}"] td`).first();
    await cell.waitFor();
    assert.equal(await cell.innerText(), ID);
    assert.match(
      (await cell.locator('[title]').getAttribute('title')) ?? '',
      /^src\/report\.ts#buildReport\nsrc\/report\.ts:12$/,
    );
    assert.match(
      await page.locator('[data-testid="events"]').innerText(),
      /src\/report\.ts#buildReport: breaker closed → open/,
    );
    assert.match(
      await page.locator('li[data-proposal-id="PR1"]').innerText(),
      /src\/report\.ts#buildReport/,
    );
    assert.match(
      await page.locator('[data-testid="chaos-banner"]').innerText(),
      /on src\/report\.ts#buildReport since/,
    );
    assert.match(
      await page.locator('[data-testid="chaos-runs"]').innerText(),
      /on src\/report\.ts#buildReport/,
    );

    await cell.click();
    await deliver(page, {
      type: 'spans',
      processId: 'P1',
      taskId: ID,
      spans: [
        {
          runId: 'R1',
          parentRunId: null,
          taskId: ID,
          start: now - 100,
          duration: 4,
          outcome: 'ok',
          attempt: 1,
          strategy: 'sfox',
          depth: 0,
        },
      ],
    });
    await page.locator('[data-testid="timeline"] g.fox-span').first().waitFor();
    assert.match(
      await page.locator('h2', { hasText: 'Timeline' }).innerText(),
      / · src\/report\.ts#buildReport$/,
    );
    assert.equal(
      await page.locator('[data-testid="timeline"] .fox-span-label').first().textContent(),
      ID,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shortens a long id only visually: the folder part gives way, file and name stay', async () => {
    const { page, problems } = await host!.open(browser!);
    await poll(async () => (await posted(page)).length > 0, 'ready');
    await deliver(page, {
      type: 'state',
      state: uiState({ processes: [processView('P1', 77)], tasks: [taskView('P1', LONG)] }),
    });
    const label = page.locator(`tr[data-task-id="${LONG}"] td .fox-id`);
    await label.waitFor();
    assert.equal(await label.textContent(), LONG, 'the whole id is in the page (and a copy)');
    assert.equal(await label.getAttribute('title'), LONG);
    const box = (await label.boundingBox())!;
    const name = (await label.locator('.fox-id-name').boundingBox())!;
    const dir = label.locator('.fox-id-dir');
    const clipped = await dir.evaluate((e) => e.scrollWidth > e.clientWidth);
    assert.ok(clipped, 'the folder part is cut');
    assert.ok(name.x + name.width <= box.x + box.width + 0.5, 'the file and name are not');
    assert.equal(
      await label.locator('.fox-id-name').textContent(),
      'report.ts#ReportBuilder.build',
    );
    await page.screenshot({ path: join(artifacts, 'task-ids.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
