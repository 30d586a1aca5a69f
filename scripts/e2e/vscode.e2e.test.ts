import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditPaths, loadOrCreateAuditKey, verifyAuditLog } from '@fox/sdk/guardian';
import { openStore } from '@fox/sdk/store';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { codeServerInstalled, startCodeServer, type CodeServer } from './code-server.js';

/**
 * The extension in a real VS Code (the one code-server ships), driven through its UI by
 * playwright-core and Debian's chromium. Screenshots go to `artifacts/e2e/`.
 *
 * Needs: `npm run build` (the extension bundles), `scripts/e2e/install-code-server.sh`, and
 * /usr/bin/chromium (`scripts/install-browser.sh`). `npm run test:e2e` does the first two.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const artifacts = join(repoRoot, 'artifacts', 'e2e');
const CHROMIUM = '/usr/bin/chromium';
const mod = 'Control';

describe('Fox extension in VS Code (code-server)', function () {
  this.timeout(180_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    this.timeout(240_000);
    const missing = [
      [codeServerInstalled(), 'code-server (run scripts/e2e/install-code-server.sh)'],
      [existsSync(CHROMIUM), `${CHROMIUM} (run scripts/install-browser.sh)`],
      [
        existsSync(join(repoRoot, 'extension/dist/server.cjs')),
        'the extension build (npm run build)',
      ],
    ].filter(([ok]) => !ok);
    if (missing.length > 0) {
      console.log(`    (skipped: missing ${missing.map(([, what]) => what).join(', ')})`);
      this.skip();
    }
    // Only this run's screenshots (a FAILED-* of an earlier run would mislead).
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    server = await startCodeServer({
      repoRoot,
      settings: {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'git.enabled': false,
        'update.mode': 'none',
        'window.commandCenter': false,
        'chat.commandCenter.enabled': false,
        'debug.openDebug': 'neverOpen',
        'debug.internalConsoleOptions': 'neverOpen',
        // Not 'task.problemMatchers.neverPrompt': a `fox` task must not ask to scan its output.
        // in memory: the copied extension carries no native modules, like a .vsix (the sample
        // keeps its own store, which the language server reads with the workspace's sqlite)
        'fox.profiler.storePath': '',
        // the name the sample's guardian policy lists as its approver
        'fox.approvals.approver': APPROVER,
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // The explorer shows the workspace once the remote file system is up.
    await page.getByRole('treeitem', { name: 'src' }).first().waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      const name = this.currentTest.title.replace(/\W+/g, '-').slice(0, 60);
      await page.screenshot({ path: join(artifacts, `FAILED-${name}.png`) }).catch(() => {});
    }
  });

  after(async () => {
    if (page) await page.keyboard.press('Shift+F5').catch(() => {});
    await browser?.close();
    if (server && process.env['FOX_E2E_KEEP_LOG']) console.log(server.log());
    await server?.stop();
  });

  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    // The focused row may be another (recently used) command: pick this one by its label.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor();
    await row.click();
  }

  async function openFile(name: string): Promise<void> {
    // In the first editor group: the profiler panel has the second.
    await page.keyboard.press(`${mod}+1`);
    await page.keyboard.press(`${mod}+P`);
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    // Click the file's row: Enter could take a row of the list shown before the filter applied.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor();
    await row.click();
    await page
      .locator(`.editor-group-container.active .tab.active[aria-label*="${name}"]`)
      .waitFor();
    await page.locator('.monaco-editor .view-lines').first().click();
  }

  /**
   * Applies the quick fix whose title matches `title` in the active editor: puts the cursor on
   * the problem (`at`, 1-based, or the next problem: F8, which moves on to other files when
   * this one has no more) and asks for fixes there until it is offered, picks it with the
   * keyboard (the widget's pointer block swallows clicks), and waits for `expect` in the
   * editor's text.
   */
  async function applyQuickFix(
    title: RegExp,
    expect: string,
    at?: { line: number; column: number },
  ): Promise<void> {
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
    // The first request can race the diagnostics refresh: ask again until the fix is offered.
    for (let attempt = 1; ; attempt++) {
      if (at) {
        await page.keyboard.press(`${mod}+P`);
        const input = page.locator('.quick-input-widget input');
        await input.fill(`:${at.line}:${at.column}`);
        await page.keyboard.press('Enter');
      } else {
        await page.keyboard.press('F8');
        await page.keyboard.press('Escape');
      }
      await page.keyboard.press(`${mod}+.`);
      try {
        await fix.waitFor({ timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt >= 8) throw err;
        await page.keyboard.press('Escape');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    for (let i = 0; i < 15 && !title.test(await focused.innerText().catch(() => '')); i++) {
      await page.keyboard.press('ArrowDown');
    }
    assert.match(await focused.innerText(), title);
    await page.keyboard.press('Enter');
    const end = Date.now() + 20_000;
    while (!(await editorText()).includes(expect)) {
      if (Date.now() > end) throw new Error(`no ${expect} in:\n${await editorText()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The profiler panel's page (VS Code nests a webview's content in two iframes). */
  const panel = (): FrameLocator =>
    page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

  const editorText = async (): Promise<string> =>
    (
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').innerText()
    ).replace(/\u00a0/g, ' ');

  it('shows a FOX001 diagnostic on a CPU-heavy function', async () => {
    await openFile('passwords.ts');
    await page.keyboard.press(`${mod}+Shift+M`);
    const marker = page.locator('.markers-panel .monaco-list-row', { hasText: 'FOX001' }).first();
    await marker.waitFor({ timeout: 120_000 });
    assert.match(await marker.innerText(), /CPU-heavy work on the event loop/);
    await page.locator('.squiggly-warning').first().waitFor();
    await page.screenshot({ path: join(artifacts, '01-fox001-diagnostic.png') });
  });

  it('applies the quick fix: the decorator and its import', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await applyQuickFix(/\(FOX001\)/, '@fox(');
    await page.keyboard.press(`${mod}+S`);
    await page.screenshot({ path: join(artifacts, '02-quick-fix-applied.png') });
    const file = join(server!.workspace, 'src', 'passwords.ts');
    let saved = '';
    for (let i = 0; i < 50 && !saved.includes('@fox('); i++) {
      saved = readFileSync(file, 'utf8');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(saved, /import \{[^}]*\bfox\b[^}]*\} from '@fox\/sdk'/);
    assert.match(saved, /@fox\(\{ mode: 'tfox' \}\)\s+async derive\(.*\): Promise<Buffer> \{/);
  });

  it("runs the sample under the debugger and shows the task's live calls in the panel", async () => {
    await openFile('app.mjs');
    await runCommand('Debug: Select and Start Debugging');
    const config = page.locator('.quick-input-list .monaco-list-row', {
      hasText: 'Run sample (Fox profiler)',
    });
    await config.first().waitFor();
    await config.first().click();
    // The panel opens by itself when the debugged process connects (fox.profiler.autoOpen).
    const row = panel().locator(CRUNCH_ROW);
    await row.waitFor({ timeout: 120_000 });
    // The task id whole, as the hover and the sdk write it.
    assert.equal(await row.locator('td').first().innerText(), 'src/crunch.mjs#crunch');
    const calls = panel().locator(`${CRUNCH_ROW} td[data-col="calls"]`);
    await until(async () => /\/ [1-9]/.test(await calls.innerText()), 'calls in the panel', 30_000);
    await row.click();
    await panel().locator('[data-testid="timeline"]').waitFor();
    // Selecting a task reveals its source.
    await page.locator('.tab[aria-label*="crunch.mjs"]').first().waitFor();
    await new Promise((r) => setTimeout(r, 2500)); // a couple of live pushes for the charts
    assert.match(await panel().locator('[data-testid="status"]').innerText(), /1 live/);
    await page.screenshot({ path: join(artifacts, '03-profiler-panel-live.png') });
    const status = page.locator('.statusbar-item', { hasText: 'Fox' }).first();
    assert.match((await status.getAttribute('aria-label')) ?? (await status.innerText()), /Fox/);
  });

  it('shows live numbers from .fox/fox.db in the code lens over the task', async () => {
    // The sample stores its telemetry (fox.configure({ store })) and flushes every second; the
    // language server reads the store when VS Code asks for code lenses, which it does when the
    // document opens or changes: reopen the file until the numbers are there.
    const lens = page.locator('.editor-group-container .contentWidgets .codelens-decoration', {
      hasText: /^fox auto · p50/,
    });
    await until(
      async () => {
        try {
          await openFile('crunch.mjs');
          await lens.first().waitFor({ timeout: 4_000 });
          return true;
        } catch {
          await page.keyboard.press('Escape');
          await page.keyboard.press(`${mod}+1`); // never the panel's group
          await page.keyboard.press(`${mod}+W`); // close and ask again
          return false;
        }
      },
      'a code lens with live numbers',
      90_000,
    );
    const text = (await lens.first().innerText()).replace(/\u00a0/g, ' ');
    const m = /^fox auto · p50 [\d.]+ ms · p99 [\d.]+ ms · ([\d.]+)(k?) calls · \d+ errors/.exec(
      text,
    );
    assert.ok(m, `code lens: ${text}`);
    assert.ok(Number(m[1]) * (m[2] ? 1000 : 1) > 0, `no calls in: ${text}`);
    await page.screenshot({ path: join(artifacts, '04-code-lens-live.png') });
  });

  it('feeds the lens and hover live from the debug session, whatever the store', async () => {
    // The extension's profiler keeps nothing (fox.profiler.storePath is empty): numbers said to
    // be "live from the debug session" can only have come over `fox/liveStats`.
    // A fresh panel (no selection) for the hover's link to open.
    await runCommand('View: Close All Editor Groups');
    await openFile('crunch.mjs');
    const name = page
      .locator('.editor-group-container.active .view-line', { hasText: 'export const crunch' })
      .locator('span > span', { hasText: /^crunch$/ })
      .first();
    const hover = page.locator('.monaco-hover-content', { hasText: 'src/crunch.mjs#crunch' });
    let last = '';
    await until(
      async () => {
        await page.mouse.move(0, 0);
        await name.hover();
        last = await hover
          .first()
          .innerText({ timeout: 3_000 })
          .catch(() => '');
        return /Measured \(live from the debug session\): p50/.test(last);
      },
      'a hover with live numbers',
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last hover: ${last || '(none)'}`);
    });
    const text = last.replace(/\u00a0/g, ' ');
    assert.match(text, /Evidence in the last run \(live from the debug session/);
    await page.screenshot({ path: join(artifacts, '04b-hover-live.png') });
    // The link opens the profiler panel with the task selected.
    await hover.first().getByRole('link', { name: 'Open in the profiler' }).click();
    await panel().locator(`${CRUNCH_ROW}.fox-selected`).waitFor({ timeout: 30_000 });
    await page.mouse.move(0, 0);
  });

  it("lists auto's proposal; approving it makes the process's guardian apply it", async () => {
    // The sample's crunch runs in `auto` mode: its calls hold the event loop, so auto proposes
    // moving it to tfox, and the guardian (1 named approval for strategy changes) holds it.
    await page.locator('.activitybar .action-item a[aria-label^="Fox"]').first().click();
    const row = page.locator('.pane .monaco-list-row', { hasText: 'strategy-change by auto' });
    await row.first().waitFor({ timeout: 60_000 });
    assert.match(await row.first().innerText(), /src\/crunch\.mjs#crunch · pending/);
    // …and a notification about it.
    await runCommand('Notifications: Show Notifications');
    await page
      .locator('.notifications-center .notification-list-item', { hasText: 'Fox proposal' })
      .first()
      .waitFor({ timeout: 10_000 });
    await runCommand('Notifications: Hide Notifications');
    await row.first().hover();
    await page.screenshot({ path: join(artifacts, '05-approvals-pending.png') });
    // Inline buttons show on hover; click until the item leaves `pending` (decided here).
    await until(
      async () => {
        await row.first().hover();
        await row
          .first()
          .locator('.action-label[aria-label="Approve Proposal"]')
          .click({ timeout: 5_000 })
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1_000));
        return !/· pending/.test(await row.first().innerText());
      },
      'the approval to be sent',
      30_000,
    );

    // The process received the decision (named approver, bound to the payload hash), its
    // guardian accepted it and applied the change: crunch now runs in worker threads.
    await page
      .locator('.pane .monaco-list-row', { hasText: /crunch · applied/ })
      .first()
      .waitFor({ timeout: 30_000 });
    const statusFile = join(server!.workspace, '.fox', 'sample-status.json');
    await until(() => readJson<SampleStatus>(statusFile)?.mode === 'tfox', 'the switch', 20_000);
    await page.locator('.tab[aria-label*="Fox Profiler"]').first().click();
    const mode = panel().locator(`${CRUNCH_ROW} td`, { hasText: '→' }).first();
    await until(async () => (await mode.innerText()) === 'auto→tfox', 'tfox in the panel', 10_000);
    // The panel re-renders its rows on every push: scroll whichever row is there now.
    for (let i = 0; i < 5; i++) {
      if (
        await mode.scrollIntoViewIfNeeded({ timeout: 2_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    await page.screenshot({ path: join(artifacts, '06-approvals-applied.png') });

    // The guardian's record in the sample's store: the vote and the tamper-evident log.
    const trail = guardianTrail(join(server!.workspace, '.fox', 'fox.db'));
    assert.equal(trail.applied.length >= 1, true, JSON.stringify(trail));
    for (const p of trail.applied) {
      assert.deepEqual(p.votes, [{ approver: APPROVER, payloadHash: p.payloadHash }]);
      // Decided before applied, applied without failure.
      assert.deepEqual(p.log.slice(0, 4), ['proposal', 'approval', 'decision', 'applied']);
      assert.ok(!p.log.includes('apply-failed'), p.log.join());
    }
    assert.equal(trail.verified, true, 'the audit log verifies');
  });

  it('runs a `fox` task from tasks.json with FOX_PROFILER set', async () => {
    await runCommand('Tasks: Run Task');
    const task = page.locator('.quick-input-list .monaco-list-row', {
      hasText: 'Run sample (fox task)',
    });
    await task.first().waitFor({ timeout: 30_000 });
    await task.first().click();
    // A second sample process, started by the task, connects to the extension's profiler.
    await page.locator('.tab[aria-label*="Fox Profiler"]').first().click();
    const status = panel().locator('[data-testid="status"]');
    await until(async () => /2 live/.test(await status.innerText()), 'the task process', 60_000);
    await page.screenshot({ path: join(artifacts, '07-fox-task-profiled.png') });
    // Terminating the task stops its process (and what it started): it disconnects.
    await runCommand('Tasks: Terminate Task');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Run sample (fox task)' })
      .first()
      .click();
    await until(async () => /1 live/.test(await status.innerText()), 'the task to stop', 30_000);
  });

  it("runs a package script as a `fox` task without asking to scan the task's output", async () => {
    const status = panel().locator('[data-testid="status"]');
    const live = async () => Number(/(\d+) live/.exec(await status.innerText())?.[1] ?? 0);
    const before = await live().catch(() => 0);
    await runCommand('Tasks: Run Task');
    // The `fox` provider's tasks: one per script of the package.json.
    await page.getByRole('option', { name: 'All fox tasks' }).click({ timeout: 30_000 });
    const script = page.locator('.quick-input-list .monaco-list-row', { hasText: 'npm run start' });
    await script.first().click({ timeout: 30_000 });
    // VS Code asks this of a task type that declares no problem matchers.
    const scanPrompt = page.locator('.quick-input-widget', { hasText: 'scan the task output' });
    await until(
      async () => (await scanPrompt.isVisible()) || (await live().catch(() => 0)) > before,
      'the task to run (or VS Code to ask about problem matchers)',
      60_000,
    );
    await page.screenshot({ path: join(artifacts, '08-fox-script-task.png') });
    assert.equal(await scanPrompt.isVisible(), false, 'VS Code asked to scan the task output');
    await runCommand('Tasks: Terminate Task');
    const running = page.locator('.quick-input-list .monaco-list-row', {
      hasText: 'npm run start',
    });
    // With one task running, VS Code may terminate it without asking which.
    await running
      .first()
      .click({ timeout: 5_000 })
      .catch(() => undefined);
    await until(async () => (await live()) === before, 'the task to stop', 30_000);
  });

  it('proposes the start script to "Run with Profiler…", then the last command run', async () => {
    await openFile('passwords.ts'); // a TypeScript file, which `node` cannot run on Node 20
    await runCommand('Fox: Run with Profiler…');
    const input = page.locator('.quick-input-widget input');
    // The palette's text gives way to the command's input box.
    const proposed = async () => {
      await until(async () => /^[^>]/.test(await input.inputValue()), 'the input box', 10_000);
      return input.inputValue();
    };
    assert.equal(await proposed(), 'npm start');
    const mine = `node -e "console.log('fox e2e: run with profiler')"`;
    await input.fill(mine);
    await page.keyboard.press('Enter');

    // Again, from the editor (the terminal has the focus now).
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
    await runCommand('Fox: Run with Profiler…');
    assert.equal(await proposed(), mine, 'the last command, remembered for the workspace');
    await page.keyboard.press('Escape');
  });

  it("logs the profiler's port, its store and the language server in the Fox output", async () => {
    await runCommand('Output: Show Output Channels...');
    await page.getByRole('option', { name: 'Fox', exact: true }).click({ timeout: 30_000 });
    const output = page.locator('.part.panel .monaco-editor .view-lines').first();
    const text = async () => (await output.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    await until(async () => /profiler listening/.test(await text()), 'the Fox log', 30_000);
    await page.screenshot({ path: join(artifacts, '09-fox-output.png') });
    const log = await text();
    assert.match(log, /profiler listening on 127\.0\.0\.1:\d+/);
    // The e2e's settings keep the store off (the copied extension has no native modules).
    assert.match(log, /profiler store: none \(fox\.profiler\.storePath is empty\)/);
    assert.match(log, /language server: running/);
    assert.match(log, /language server: code lens and hover numbers live from the debug session/);
  });

  it('measures a profiled run: a confirmed FOX001, a timeout from the tail, fixes that type-check', async () => {
    // src/feed.ts (TypeScript, run with tsx) keeps no store and the editor's profiler keeps
    // none either: every number below comes live from the debug session. It calls `signQuote`
    // (a plain function, ~30 ms of hashing per call) and the fox task `fetchQuote` (no timeout)
    // against a local HTTP server that answers one call in ten after 400 ms.
    await openFile('feed.ts');
    await runCommand('Debug: Select and Start Debugging');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Run quote feed (Fox profiler)' })
      .first()
      .click();
    const statusFile = join(server!.workspace, '.fox', 'quote-status.json');
    await until(() => readJson<QuoteStatus>(statusFile)?.ready === true, 'the feed', 120_000);
    const measured = readJson<QuoteStatus>(statusFile)!;
    console.log(
      `    quote feed: ${measured.quotes} quotes, ${measured.signatures} signatures (median ${median(measured.signatureMs)} ms each)`,
    );
    // The scenario the issue asks for: 20–40 ms of synchronous work per call.
    const perCall = median(measured.signatureMs);
    assert.ok(perCall >= 20 && perCall <= 40, `signQuote takes ${perCall} ms per call`);

    // The lens over the task: live numbers, up to the last call.
    await openFile('quotes.ts');
    const lens = page.locator(
      '.editor-group-container.active .contentWidgets .codelens-decoration',
      {
        hasText: /^fox wfox · p50/,
      },
    );
    const lensCalls = async (): Promise<number> => {
      const text = await lens
        .first()
        .innerText({ timeout: 1_000 })
        .catch(() => '');
      return Number(/· (\d+) calls ·/.exec(text.replace(/\u00a0/g, ' '))?.[1] ?? -1);
    };
    // VS Code asks for lenses when the file opens and when the server says numbers changed;
    // the feed is quiet now, so reopen the file until the lens has them all.
    await until(
      async () => {
        if ((await lensCalls()) === measured.quotes) return true;
        await page.keyboard.press(`${mod}+W`);
        await openFile('quotes.ts');
        await lens
          .first()
          .waitFor({ timeout: 4_000 })
          .catch(() => undefined);
        return (await lensCalls()) === measured.quotes;
      },
      'the lens',
      90_000,
    );
    await page.screenshot({ path: join(artifacts, '10-quote-lens-live.png') });

    // (a) FOX001 confirmed by the CPU profile, with the measured time; (b) FOX101 from the tail.
    await runCommand('Focus on Problems View');
    const fox001 = page.locator('.markers-panel .monaco-list-row', {
      hasText: /'signQuote' holds the event loop/,
    });
    const fox101 = page.locator('.markers-panel .monaco-list-row', {
      hasText: /'fetchQuote' has no timeout and a long latency tail/,
    });
    await fox001.first().waitFor({ timeout: 60_000 });
    await fox101.first().waitFor({ timeout: 60_000 });
    const cpuText = (await fox001.first().innerText()).replace(/\u00a0/g, ' ');
    const held = /holds the event loop ([\d.]+) (ms|s) at a time/.exec(cpuText);
    assert.ok(held, cpuText);
    const heldMs = Number(held[1]) * (held[2] === 's' ? 1000 : 1);
    // 30 ms per call on an idle machine; a loaded one stretches the longest run, never below.
    assert.ok(heldMs >= 10 && heldMs < 5_000, cpuText);
    assert.match(cpuText, /CPU samples, live from the debug session/);
    assert.match(cpuText, /FOX001/);
    const tailText = (await fox101.first().innerText()).replace(/\u00a0/g, ' ');
    assert.match(
      tailText,
      /p99 [\d.]+ (ms|s) vs p50 [\d.]+ ms over \d+ calls .*live from the debug session/,
    );
    assert.match(tailText, /Add timeout '[\d.]+m?s'/);
    console.log(`    FOX001: ${cpuText.split('\n')[0]}\n    FOX101: ${tailText.split('\n')[0]}`);
    await page.screenshot({ path: join(artifacts, '11-measured-diagnostics.png') });
    // The profiler panel's "Hot functions" table has it too (line 9 declares it).
    await page.locator('.tab[aria-label*="Fox Profiler"]').first().click();
    const hotRow = panel().locator('tr.fox-hot-function[data-function="src/quotes.ts:9"]');
    await hotRow.first().waitFor({ timeout: 30_000 });
    assert.match(await hotRow.first().innerText(), /^signQuote/);

    // From a call's completion (the feed's clock, same machine) to the lens that counts it.
    await openFile('quotes.ts');
    const latencies: number[] = [];
    for (let trigger = 1; trigger <= 3; trigger++) {
      const before = readJson<QuoteStatus>(statusFile)!.quotes;
      await until(async () => (await lensCalls()) === before, 'a settled lens', 30_000);
      writeFileSync(join(server!.workspace, '.fox', 'quote-trigger'), String(trigger));
      const deadline = Date.now() + 30_000;
      while ((await lensCalls()) <= before) {
        if (Date.now() > deadline) throw new Error(`the lens never counted call ${before + 1}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const seenAt = Date.now();
      const ended = readJson<QuoteStatus>(statusFile)!;
      assert.equal(ended.triggers, trigger);
      latencies.push(seenAt - ended.lastQuoteEndedAt);
    }
    console.log(
      `    call completed → lens updated: ${latencies.map((ms) => `${ms} ms`).join(', ')}`,
    );
    assert.ok(Math.max(...latencies) <= 5_000, `latencies ${latencies.join(', ')} ms`);

    // Both fixes, then the project must still type-check.
    const quotes = join(server!.workspace, 'src', 'quotes.ts');
    // Where the findings are: the task's name and the function's name.
    const position = (text: string, name: string) => {
      const lines = readFileSync(quotes, 'utf8').split('\n');
      const line = lines.findIndex((l) => l.includes(text));
      return { line: line + 1, column: lines[line]!.indexOf(name) + 1 };
    };
    await applyQuickFix(
      /Add timeout: '[\d.]+m?s'.*\(FOX101\)/,
      "timeout: '",
      position('export const fetchQuote', 'fetchQuote'),
    );
    await page.keyboard.press(`${mod}+S`);
    await until(() => readFileSync(quotes, 'utf8').includes("timeout: '"), 'FOX101 saved', 20_000);
    await page.screenshot({ path: join(artifacts, '12-timeout-fix-applied.png') });
    await applyQuickFix(
      /Run as tfox.*\(FOX001\)/,
      "mode: 'tfox'",
      position('export function signQuote', 'signQuote'),
    );
    await runCommand('File: Save All');
    let source = '';
    await until(
      () => {
        source = readFileSync(quotes, 'utf8');
        return /timeout: '/.test(source) && /mode: 'tfox'/.test(source);
      },
      'the fixed quotes.ts on disk',
      20_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}:\n${source}`);
    });
    await page.screenshot({ path: join(artifacts, '13-measured-fixes-applied.png') });
    assert.match(
      source,
      /fox\(\s*\{ mode: 'wfox', timeout: '[\d.]+m?s' \},\s*async function fetchQuote/,
    );
    assert.match(source, /export const signQuote = fox\(\s*\{ mode: 'tfox' \}/);
    // The resolved fix awaits the call in its caller (another file).
    const feed = readFileSync(join(server!.workspace, 'src', 'feed.ts'), 'utf8');
    assert.match(feed, /await signQuote\(body, rounds\)/);
    const tsc = typeCheck(server!.workspace);
    assert.equal(tsc.status, 0, `tsc on the workspace:\n${tsc.output}`);
  });
});

const APPROVER = 'reviewer@example.com';
const CRUNCH_ROW = 'tr[data-task-id="src/crunch.mjs#crunch"]';

interface SampleStatus {
  mode: string;
}

/** What src/feed.ts reports in .fox/quote-status.json. */
interface QuoteStatus {
  ready: boolean;
  quotes: number;
  signatures: number;
  signatureMs: number[];
  lastQuoteEndedAt: number;
  triggers: number;
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** `tsc --noEmit` over the workspace's tsconfig, with the repo's TypeScript. */
function typeCheck(workspace: string): { status: number | null; output: string } {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', workspace, '--noEmit'],
    { encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The applied proposals in a store, with their votes and audit entries, and whether it verifies. */
function guardianTrail(dbPath: string) {
  const store = openStore({ path: dbPath });
  try {
    const db = store.connection();
    const applied = (
      db
        .prepare("SELECT id, payload_hash FROM proposals WHERE state = 'applied' ORDER BY id")
        .all() as { id: string; payload_hash: string }[]
    ).map((p) => ({
      id: p.id,
      payloadHash: p.payload_hash,
      votes: db
        .prepare(
          'SELECT approver, payload_hash AS payloadHash FROM approvals WHERE proposal_id = ?',
        )
        .all(p.id),
      log: (db.prepare('SELECT type, entry FROM audit_log ORDER BY seq').all() as AuditRow[])
        .filter((r) => (JSON.parse(r.entry) as AuditEntry).data.proposalId === p.id)
        .map((r) => r.type),
    }));
    const { keyPath, checkpointsPath } = auditPaths(dbPath);
    const verified = verifyAuditLog(db, loadOrCreateAuditKey(keyPath), checkpointsPath).ok;
    return { applied, verified };
  } finally {
    store.close();
  }
}

interface AuditRow {
  type: string;
  entry: string;
}
interface AuditEntry {
  data: { proposalId?: string };
}
