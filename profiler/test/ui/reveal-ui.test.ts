import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { artifacts, hasChromium, launchChromium, poll } from './browser.js';
import { HostPage, deliver, posted } from './host-page.js';
import { processView, taskView, uiState } from './ui-state.js';

/** The editor's "Open in the profiler" link: the host names a task, the page selects it. */

const ID = 'src/report.ts#buildReport';

describe('revealing a task from the host', function () {
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

  it('selects the task in the live process that called it most, even before the state', async () => {
    const { page, problems } = await host!.open(browser!);
    await poll(async () => (await posted(page)).length > 0, 'ready');
    // Before any state: kept until a state has the task.
    await deliver(page, { type: 'reveal', taskId: ID });
    const old = { ...processView('P0', 70), connected: false };
    await deliver(page, {
      type: 'state',
      state: uiState({
        processes: [old, processView('P1', 77), processView('P2', 78)],
        tasks: [
          taskView('P0', ID, { calls: 9000 }),
          taskView('P1', ID, { calls: 10 }),
          taskView('P2', ID, { calls: 500 }),
        ],
      }),
    });
    await poll(
      async () => (await posted(page)).some((m) => (m as { type: string }).type === 'select'),
      'a select',
    );
    const select = (await posted(page)).find((m) => (m as { type: string }).type === 'select');
    assert.deepEqual(select, { type: 'select', processId: 'P2', taskId: ID });
    assert.deepEqual(problems, []);
  });
});
