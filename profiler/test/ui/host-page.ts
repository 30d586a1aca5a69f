import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { ServerToUi } from '../../src/index.js';
import { repoRoot } from '../helpers.js';

const ORIGIN = 'https://fox-host-page.test';

/**
 * The UI bundle mounted through its host API alone (as the VS Code webview mounts it), under a
 * strict CSP: a test delivers the states it wants and reads what the page posts.
 */
export class HostPage {
  private constructor(
    private readonly js: string,
    private readonly css: string,
    private readonly dir: string,
  ) {}

  /** Bundles the UI from its sources. */
  static async build(): Promise<HostPage> {
    const dir = mkdtempSync(join(tmpdir(), 'fox-host-page-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { createFoxUi } from ${JSON.stringify(join(repoRoot, 'profiler/src/ui/index.ts'))};
import ${JSON.stringify(join(repoRoot, 'profiler/src/ui/fox-ui.css'))};
const g = globalThis as any;
createFoxUi(document.getElementById('fox-root')!, {
  post: (m: unknown) => g.__posted.push(m),
  onMessage: (l: unknown) => (g.__deliver = l),
}, g.__options ?? {});
`,
    );
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110'],
      // From the sources, as scripts/build.mjs bundles it (no sdk build needed).
      conditions: ['source'],
      outfile: join(dir, 'ui.js'),
      logLevel: 'error',
    });
    return new HostPage(
      readFileSync(join(dir, 'ui.js'), 'utf8'),
      readFileSync(join(dir, 'ui.css'), 'utf8'),
      dir,
    );
  }

  async open(
    browser: Browser,
    options: Record<string, unknown> = {},
  ): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.addInitScript(
      `globalThis.__posted = []; globalThis.__options = ${JSON.stringify(options)};`,
    );
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/ui.js')
        return route.fulfill({ contentType: 'text/javascript', body: this.js });
      if (path === '/ui.css') return route.fulfill({ contentType: 'text/css', body: this.css });
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-n0nce'; style-src ${ORIGIN}"><link rel="stylesheet" href="${ORIGIN}/ui.css"></head><body><div id="fox-root"></div><script nonce="n0nce" src="${ORIGIN}/ui.js"></script></body></html>`,
      });
    });
    await page.goto(`${ORIGIN}/index.html`);
    return { page, problems };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What the page posted to its host, oldest first. */
export const posted = (page: Page) => page.evaluate('globalThis.__posted') as Promise<unknown[]>;

/** Hands the page a message as its host would. */
export const deliver = (page: Page, m: ServerToUi) =>
  page.evaluate(`globalThis.__deliver(${JSON.stringify(m)})`);
