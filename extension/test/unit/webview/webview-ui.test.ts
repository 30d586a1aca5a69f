import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerToUi, UiState } from '@fox/profiler';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webviewHtml } from '../../../src/panel/webview-html.js';

/**
 * The profiler panel's page in headless chromium, with `acquireVsCodeApi` stubbed the way VS
 * Code provides it: the page must run under the panel's CSP, talk only through postMessage, and
 * restore the selected task from `getState()`.
 */

const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..', '..');
const artifacts = join(repoRoot, 'artifacts', 'extension-webview');
const ORIGIN = 'https://fox-webview.test';

const state: UiState = {
  at: Date.now(),
  processes: [
    {
      id: 'P1',
      pid: 4242,
      argv: ['node', '/w/src/app.mjs'],
      nodeVersion: 'v20.19.0',
      projectRoot: '/w',
      startedAt: Date.now() - 10_000,
      connected: true,
      lastSeen: Date.now(),
      dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
      missedIntervals: 0,
      rowsRejected: 0,
      gauges: [1, 2, 3, 4].map((i) => ({
        at: Date.now() - (4 - i) * 1000,
        delayP50: 1 + i,
        delayP99: 5 + i,
        delayMax: 9 + i,
        elu: 0.2 * i,
        cpu: 0.1 * i,
        heapUsedBytes: 20e6,
      })),
    },
  ],
  tasks: [
    {
      processId: 'P1',
      id: 'src/app.mjs#crunch',
      mode: 'sfox',
      current: 'sfox',
      policies: [],
      location: { file: 'src/app.mjs', line: 8, column: 1 },
      callsPerSec: 42,
      errorsPerSec: 0,
      p50: 3,
      p95: 6,
      p99: 9,
      calls: 420,
      errors: 0,
      inFlight: 1,
      queued: 0,
      limit: null,
      breaker: null,
      history: [10, 20, 42],
    },
  ],
  events: [
    {
      processId: 'P1',
      event: {
        kind: 'proposal',
        at: Date.now(),
        proposalId: 'PR1',
        taskId: 'src/app.mjs#crunch',
        summary: 'switch crunch to tfox',
        state: 'pending',
      },
    },
  ],
  collector: {
    framesAccepted: 12,
    framesRejected: 0,
    spansStored: 0,
    spansDropped: 0,
    connections: 1,
  },
};

const spans: ServerToUi = {
  type: 'spans',
  processId: 'P1',
  taskId: 'src/app.mjs#crunch',
  spans: [0, 1, 2].map((i) => ({
    runId: `R${i}`,
    parentRunId: null,
    taskId: 'src/app.mjs#crunch',
    start: Date.now() - 1000 + i * 200,
    duration: 3 + i,
    outcome: 'ok' as const,
    attempt: 1,
    strategy: 'sfox' as const,
    depth: 0,
  })),
};

describe('profiler panel page in headless chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let bundleDir: string;
  let js: string;
  let css: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; run scripts/install-browser.sh as root)`);
      this.skip();
    }
    mkdirSync(artifacts, { recursive: true });
    // Built here (not taken from dist/) so the test always runs the current sources.
    bundleDir = mkdtempSync(join(tmpdir(), 'fox-webview-'));
    await esbuild.build({
      entryPoints: [join(repoRoot, 'extension/src/webview/main.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110'],
      conditions: ['source'],
      outfile: join(bundleDir, 'webview.js'),
      logLevel: 'error',
    });
    js = readFileSync(join(bundleDir, 'webview.js'), 'utf8');
    css = readFileSync(join(bundleDir, 'webview.css'), 'utf8');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  /** Opens the page as VS Code would, with a stubbed VS Code API and a saved state. */
  async function open(saved?: unknown): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    // A string, not a function: tsx would wrap a function's inner closures in its `__name`
    // helper, which does not exist in the page.
    await page.addInitScript(`
      globalThis.__posted = [];
      globalThis.__state = ${JSON.stringify(saved ?? null)} ?? undefined;
      globalThis.acquireVsCodeApi = () => ({
        postMessage: (m) => globalThis.__posted.push(m),
        getState: () => globalThis.__state,
        setState: (s) => { globalThis.__state = s; },
      });
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error('CSP violation: ' + e.violatedDirective));
    `);
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/index.html') {
        return route.fulfill({
          contentType: 'text/html',
          body: webviewHtml({
            cspSource: ORIGIN,
            scriptUri: `${ORIGIN}/ui/webview.js`,
            styleUri: `${ORIGIN}/ui/webview.css`,
            nonce: 'testnonce0123456789',
          }),
        });
      }
      if (path === '/ui/webview.js')
        return route.fulfill({ contentType: 'text/javascript', body: js });
      if (path === '/ui/webview.css') return route.fulfill({ contentType: 'text/css', body: css });
      return route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${ORIGIN}/index.html`);
    return { page, problems };
  }

  /** Polls from node: the page's CSP forbids the eval that `waitForFunction` would need. */
  async function until(page: Page, check: (m: { type: string }[]) => boolean): Promise<void> {
    const end = Date.now() + 15_000;
    while (!check(await posted(page))) {
      if (Date.now() > end) {
        throw new Error(`timed out; posted ${JSON.stringify(await posted(page))}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const posted = (page: Page): Promise<{ type: string; taskId?: string }[]> =>
    page.evaluate('globalThis.__posted') as Promise<{ type: string; taskId?: string }[]>;
  const send = (page: Page, message: ServerToUi): Promise<unknown> =>
    page.evaluate(`globalThis.postMessage(${JSON.stringify(message)}, '*')`);

  it('says ready, renders the live state, and selects a task through postMessage', async () => {
    const { page, problems } = await open();
    await until(page, (m) => m.length > 0);
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);

    await send(page, { type: 'state', state });
    const row = page.locator('tr[data-task-id="src/app.mjs#crunch"]');
    await row.waitFor();
    assert.match(await row.innerText(), /crunch/);
    // The task id whole, as the editor's hover and the sdk write it.
    assert.equal(await row.locator('td').first().innerText(), 'src/app.mjs#crunch');
    assert.match(await page.locator('[data-testid="events"]').innerText(), /switch crunch to tfox/);

    await row.click();
    await until(page, (m) => m.length > 1);
    assert.deepEqual((await posted(page)).at(-1), {
      type: 'select',
      processId: 'P1',
      taskId: 'src/app.mjs#crunch',
    });
    assert.deepEqual(await page.evaluate('globalThis.__state'), {
      selected: { processId: 'P1', taskId: 'src/app.mjs#crunch' },
    });
    await send(page, spans);
    await page
      .locator('[data-testid="timeline"] svg, [data-testid="timeline"] rect')
      .first()
      .waitFor();
    await page.screenshot({ path: join(artifacts, 'panel.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors and no CSP violations');
    await page.close();
  });

  it('restores the selected task from the saved state after a reload', async () => {
    const { page, problems } = await open({
      selected: { processId: 'P1', taskId: 'src/app.mjs#crunch' },
    });
    await until(page, (m) => m.length > 0);
    await send(page, { type: 'state', state });
    await until(page, (m) => m.some((x) => x.type === 'select'));
    const selects = (await posted(page)).filter((m) => m.type === 'select');
    assert.equal(selects.length, 1);
    assert.equal(selects[0]?.taskId, 'src/app.mjs#crunch');
    assert.match(
      (await page.locator('tr.fox-selected').getAttribute('data-task-id')) ?? '',
      /crunch/,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("sends the panel's Approve and Stop chaos through VS Code's channel, as the editor user", async () => {
    const hash = 'e'.repeat(64);
    const pending = {
      ...state,
      events: [
        {
          processId: 'P1',
          event: {
            kind: 'proposal' as const,
            at: Date.now(),
            proposalId: 'PR2',
            taskId: 'src/app.mjs#crunch',
            summary: 'strategy-change by auto: {"from":"sfox","to":"tfox"}',
            state: 'pending' as const,
            payloadHash: hash,
          },
        },
        {
          // A running experiment: the only time the panel offers "Stop chaos".
          processId: 'P1',
          event: {
            kind: 'chaos' as const,
            at: Date.now(),
            experimentId: 'E1',
            action: 'start' as const,
            taskIds: ['src/app.mjs#crunch'],
          },
        },
      ],
    };
    const { page, problems } = await open();
    await until(page, (m) => m.length > 0);
    await send(page, { type: 'state', state: pending });
    const item = page.locator('li[data-proposal-id="PR2"]');
    await item.waitFor();
    // The extension names the approver (fox.approvals.approver): the page asks for no name.
    assert.equal(await page.locator('[data-testid="approver"]').count(), 0);
    await item.locator('button[data-action="approve"]').click();
    await until(page, (m) => m.some((x) => x.type === 'approval'));
    const approval = (await posted(page)).find((m) => m.type === 'approval') as unknown as {
      processId: string;
      token: string;
      decision: { proposalId: string; payloadHash: string; verdict: string };
    };
    assert.equal(approval.processId, 'P1');
    assert.equal(approval.token, '', 'the webview holds no profiler token');
    assert.deepEqual(
      [approval.decision.proposalId, approval.decision.payloadHash, approval.decision.verdict],
      ['PR2', hash, 'approve'],
    );
    // The host's answer reaches the UI through the page's message listener.
    await send(page, { type: 'approval-relayed', proposalId: 'PR2', ok: true });
    await item.locator('[data-testid="proposal-note"]', { hasText: 'delivered' }).waitFor();

    await page.locator('[data-testid="chaos-kill"]').click();
    await until(page, (m) => m.some((x) => x.type === 'chaos-kill'));
    await send(page, { type: 'chaos-kill-relayed', ok: false, processes: 0, reason: 'nope' });
    const feedback = page.locator('[data-testid="chaos-feedback"]');
    for (let i = 0; !/not delivered: nope/.test((await feedback.textContent()) ?? ''); i++) {
      assert.ok(i < 100, `chaos feedback: ${await feedback.textContent()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('ignores messages that are not from the profiler protocol', async () => {
    const { page, problems } = await open();
    await until(page, (m) => m.length > 0);
    await page.evaluate(`
      globalThis.postMessage({ type: 'evil', html: '<img src=x onerror=alert(1)>' }, '*');
      globalThis.postMessage('not an object', '*');
    `);
    await send(page, { type: 'state', state });
    await page.locator('tr[data-task-id]').first().waitFor();
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
