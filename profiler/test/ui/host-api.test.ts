import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { ServerToUi, UiState } from '../../src/index.js';
import { repoRoot } from '../helpers.js';
import { artifacts, hasChromium, launchChromium, poll } from './browser.js';

/**
 * The UI bundle through its host API only (a channel in, a channel out), the way the VS Code
 * webview mounts it: what it posts for approvals and the kill switch, and that it still works
 * with a state from an older host (no folded proposals, only the events feed).
 */

const ORIGIN = 'https://fox-host.test';
const HASH = 'c'.repeat(64);

const state = (withFolded: boolean): UiState => {
  const now = Date.now();
  const base: UiState = {
    at: now,
    processes: [
      {
        id: 'P1',
        pid: 77,
        argv: ['node', 'app.js'],
        nodeVersion: 'v20',
        projectRoot: '/w',
        startedAt: now - 5000,
        connected: true,
        lastSeen: now,
        dropped: { frames: 0, spans: 0, events: 0, unconfirmed: 0, sampledOut: 0 },
        missedIntervals: 0,
        rowsRejected: 0,
        gauges: [],
      },
    ],
    tasks: [],
    events: [
      {
        processId: 'P1',
        event: {
          kind: 'proposal',
          at: now - 100,
          proposalId: 'PR1',
          taskId: 'src/a.ts#f',
          summary: 'switch f to tfox',
          state: 'pending',
          payloadHash: HASH,
          approvalsNeeded: 1,
        },
      },
      {
        processId: 'P1',
        event: {
          kind: 'chaos',
          at: now - 50,
          experimentId: 'E1',
          action: 'start',
          taskIds: ['src/a.ts#f'],
        },
      },
    ],
    collector: {
      framesAccepted: 1,
      framesRejected: 0,
      spansStored: 0,
      spansDropped: 0,
      connections: 1,
    },
  };
  if (!withFolded) return base;
  return {
    ...base,
    proposals: [
      {
        processId: 'P1',
        proposalId: 'PR1',
        taskId: 'src/a.ts#f',
        summary: 'switch f to tfox',
        state: 'pending',
        payloadHash: HASH,
        approvalsNeeded: 1,
        createdAt: now - 100,
        at: now - 100,
      },
    ],
    chaosRuns: [],
    chaosReports: [],
  };
};

describe('the UI through its host API (as the VS Code webview mounts it)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let dir: string;
  let js: string;
  let css: string;

  before(async function () {
    if (!hasChromium()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'fox-host-api-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { createFoxUi } from ${JSON.stringify(join(repoRoot, 'profiler/src/ui/index.ts'))};
import ${JSON.stringify(join(repoRoot, 'profiler/src/ui/fox-ui.css'))};
const g = globalThis as any;
const host: any = { post: (m: unknown) => g.__posted.push(m), onMessage: (l: unknown) => (g.__deliver = l) };
if (g.__token) host.token = g.__token;
createFoxUi(document.getElementById('fox-root')!, host, g.__options ?? {});
`,
    );
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110'],
      outfile: join(dir, 'ui.js'),
      logLevel: 'error',
    });
    js = readFileSync(join(dir, 'ui.js'), 'utf8');
    css = readFileSync(join(dir, 'ui.css'), 'utf8');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(
    globals: Record<string, unknown>,
  ): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.addInitScript(
      `globalThis.__posted = [];` +
        Object.entries(globals)
          .map(([k, v]) => `globalThis.${k} = ${JSON.stringify(v)};`)
          .join(''),
    );
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/ui.js') return route.fulfill({ contentType: 'text/javascript', body: js });
      if (path === '/ui.css') return route.fulfill({ contentType: 'text/css', body: css });
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-n0nce'; style-src ${ORIGIN}"><link rel="stylesheet" href="${ORIGIN}/ui.css"></head><body><div id="fox-root"></div><script nonce="n0nce" src="${ORIGIN}/ui.js"></script></body></html>`,
      });
    });
    await page.goto(`${ORIGIN}/index.html`);
    return { page, problems };
  }

  const posted = (page: Page) => page.evaluate('globalThis.__posted') as Promise<unknown[]>;
  const deliver = (page: Page, m: ServerToUi) =>
    page.evaluate(`globalThis.__deliver(${JSON.stringify(m)})`);

  it('with a host-named approver: no name field; Approve posts the decision and shows the reply', async () => {
    const { page, problems } = await open({ __options: { approverFromHost: true } });
    await poll(async () => (await posted(page)).length > 0, 'ready');
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    await deliver(page, { type: 'state', state: state(true) });
    const item = page.locator('li[data-proposal-id="PR1"]');
    await item.waitFor();
    assert.equal(await page.locator('[data-testid="approver"]').count(), 0);
    await item.locator('button[data-action="approve"]').click();
    await poll(async () => (await posted(page)).length === 2, 'the approval');
    assert.deepEqual((await posted(page))[1], {
      type: 'approval',
      v: 1,
      processId: 'P1',
      token: '',
      decision: { proposalId: 'PR1', payloadHash: HASH, approver: 'host', verdict: 'approve' },
    });
    await deliver(page, { type: 'approval-relayed', proposalId: 'PR1', ok: false, reason: 'nope' });
    assert.match(
      (await item.locator('[data-testid="proposal-note"]').textContent()) ?? '',
      /not delivered: nope/,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('with a token: decisions and the kill switch carry it; an older state still lists proposals', async () => {
    const { page, problems } = await open({ __token: 'T0K', __options: { approver: 'dana' } });
    await poll(async () => (await posted(page)).length > 0, 'ready');
    // An older host: no `proposals`/`chaosRuns`, only the events feed.
    await deliver(page, { type: 'state', state: state(false) });
    const item = page.locator('li[data-proposal-id="PR1"]');
    await item.waitFor();
    assert.equal(await page.locator('[data-testid="approver"]').inputValue(), 'dana');
    await page.locator('[data-testid="chaos-banner"]').waitFor();
    await item.locator('button[data-action="reject"]').click();
    await page.locator('[data-testid="chaos-kill"]').click();
    await poll(async () => (await posted(page)).length === 3, 'two commands');
    const [, reject, kill] = await posted(page);
    assert.deepEqual(reject, {
      type: 'approval',
      v: 1,
      processId: 'P1',
      token: 'T0K',
      decision: { proposalId: 'PR1', payloadHash: HASH, approver: 'dana', verdict: 'reject' },
    });
    assert.deepEqual(kill, {
      type: 'chaos-kill',
      v: 1,
      token: 'T0K',
      reason: 'kill switch in the fox UI',
    });
    await deliver(page, { type: 'chaos-kill-relayed', ok: true, processes: 1 });
    assert.match(
      (await page.locator('[data-testid="chaos-feedback"]').textContent()) ?? '',
      /sent to 1 process\./,
    );
    await page.screenshot({ path: join(artifacts, 'host-api.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
