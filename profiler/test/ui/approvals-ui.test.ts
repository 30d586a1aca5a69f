import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startProfiler, type Profiler } from '../../src/index.js';
import { exited, spawnFixture, tempDir, until } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, openPage, poll } from './browser.js';

interface FixtureLine {
  proposalId: string;
  state: string;
  current: string;
}

/** Every JSON line the child prints, as it prints them. */
function jsonLines(child: ChildProcess): FixtureLine[] {
  const lines: FixtureLine[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += String(d);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as FixtureLine);
      } catch {
        // not ours
      }
    }
  });
  return lines;
}

describe('approvals in the browser page', function () {
  this.timeout(90_000);
  let browser: Browser | undefined;
  let profiler: Profiler;
  let app: ChildProcess | undefined;
  let tmp: ReturnType<typeof tempDir>;

  before(async function () {
    if (!hasChromium()) this.skip();
    mkdirSync(artifacts, { recursive: true });
    tmp = tempDir();
    profiler = await startProfiler({ storePath: join(tmp.dir, 'fox.db'), pushIntervalMs: 200 });
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

  it('approves a real process’s pending proposal, which the process then applies', async () => {
    let stderr = '';
    app = spawnFixture('approval-app.ts', {
      FOX_PROFILER: profiler.url,
      FIXTURE_STORE: join(tmp.dir, 'app.db'),
    });
    app.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    const lines = jsonLines(app);
    await until(() => lines.length > 0, 30_000, `the fixture's proposal (stderr: ${stderr})`);
    const { proposalId, state } = lines[0]!;
    assert.equal(state, 'pending');
    assert.equal(lines[0]!.current, 'sfox');

    const { page, problems } = await openPage(browser!, profiler.uiUrl);
    const item = page.locator(`[data-testid="proposals"] li[data-proposal-id="${proposalId}"]`);
    await item.waitFor({ timeout: 30_000 });
    assert.equal(await item.locator('[data-testid="proposal-state"]').textContent(), 'pending');
    assert.match((await item.textContent()) ?? '', /needs 1 more/);
    const approve = item.locator('button[data-action="approve"]');
    // No name yet: nobody to approve as.
    assert.equal(await approve.isDisabled(), true);
    await page.locator('[data-testid="approver"]').fill('alice');
    await poll(async () => !(await approve.isDisabled()), 'the Approve button to enable');
    await page.screenshot({ path: join(artifacts, 'approval-pending.png'), fullPage: true });
    await approve.click();

    // The process applies the change: its task now runs under wfox.
    await until(
      () => lines.some((l) => l.current === 'wfox'),
      15_000,
      `the process to switch the task (stderr: ${stderr})`,
    );
    // And the page shows what the process reports.
    const badge = item.locator('[data-testid="proposal-state"]');
    await poll(async () => (await badge.textContent()) === 'applied', 'the applied state');
    const row = page.locator('tr[data-task-id="approval#job"]');
    await poll(
      async () => ((await row.textContent()) ?? '').includes('sfox→wfox'),
      'the task row to show the new strategy',
    );
    assert.equal(await item.locator('button').count(), 0, 'no buttons once decided');
    await page.screenshot({ path: join(artifacts, 'approval-applied.png'), fullPage: true });

    // The name is remembered (localStorage), the token is not stored anywhere.
    await page.reload();
    await page.locator('[data-testid="approver"]').waitFor();
    assert.equal(await page.locator('[data-testid="approver"]').inputValue(), 'alice');
    const stored = await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))');
    assert.ok(!stored.includes(profiler.token), 'the token is not in localStorage');
    assert.deepEqual(problems, [], 'no console errors (CSP included)');
    assert.ok(profiler.counters().ui.approvalsRelayed >= 1);
    await page.close();
  });

  it('starts with the approver name `fox profile --approver` gives, escaped in the page', async () => {
    const named = await startProfiler({ storePath: false, approver: 'carol "<b>' });
    try {
      const html = await (await fetch(named.uiUrl)).text();
      assert.match(html, /<meta name="fox-approver" content="carol &quot;&lt;b&gt;">/);
      const { page, problems } = await openPage(browser!, named.uiUrl);
      const field = page.locator('[data-testid="approver"]');
      await field.waitFor({ state: 'attached' });
      assert.equal(await field.inputValue(), 'carol "<b>');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await named.close();
    }
  });
});
