import { strict as assert } from 'node:assert';
import { ts } from 'ts-morph';
import { findBrowserCode, tsconfigTargetsBrowser } from '../../src/analysis/browser-code.js';
import { FileContext } from '../../src/analysis/file-context.js';
import { FoxAnalyzer } from '../../src/index.js';

/** A FOX002 finding on line 2 in Node code. */
const FETCH = `export async function load(url: string) {
  return fetch(url);
}
`;

/** `file:line rule` of every finding of the in-memory projects `files` (absolute paths). */
function findings(files: Record<string, string>): string[] {
  return FoxAnalyzer.inMemory(files)
    .analyzeAll()
    .findings.map((f) => `${f.path}:${f.line} ${f.rule}`);
}

describe('browser code', () => {
  it('skips the Node runtime rules in frontend folders, use-client modules and DOM framework files', () => {
    const found = findings({
      '/p/package.json': '{ "name": "p" }',
      '/p/src/server.ts': FETCH,
      '/p/client/app.ts': FETCH,
      '/p/packages/frontend/api.ts': FETCH,
      '/p/src/browser-only/boot.ts': FETCH,
      '/p/src/ui/page.ts': `'use client';\n${FETCH}`,
      '/p/src/ui/mount.ts': `import { createRoot } from 'react-dom/client';\nvoid createRoot;\n${FETCH}`,
      '/p/src/ui/view.ts': `import { createApp } from 'vue';\nvoid createApp;\n${FETCH}`,
    });
    assert.deepEqual(found, ['/p/src/server.ts:2 FOX002']);
  });

  it('keeps reporting Node code that only looks like a client (conservative conventions)', () => {
    const found = findings({
      '/p/package.json': '{ "name": "p" }',
      // A Node HTTP client module, server-side rendering with React, a server under web/.
      '/p/src/client/api.ts': FETCH,
      '/p/src/ssr.ts': `import React from 'react';\nvoid React;\n${FETCH}`,
      '/p/src/render.ts': `import { renderToString } from 'react-dom/server';\nvoid renderToString;\n${FETCH}`,
      '/p/web/server.ts': FETCH,
    });
    assert.deepEqual(found.sort(), [
      '/p/src/client/api.ts:2 FOX002',
      '/p/src/render.ts:4 FOX002',
      '/p/src/ssr.ts:4 FOX002',
      '/p/web/server.ts:2 FOX002',
    ]);
  });

  it('treats the browserGlobs of the config as browser code', () => {
    const found = findings({
      '/p/package.json': '{ "name": "p" }',
      '/p/fox.config.json': '{ "browserGlobs": ["src/widgets/**"] }',
      '/p/src/widgets/chart.ts': FETCH,
      '/p/src/api.ts': FETCH,
    });
    assert.deepEqual(found, ['/p/src/api.ts:2 FOX002']);
  });

  it('skips files whose tsconfig has the DOM lib and no Node types', () => {
    const found = findings({
      // browser: lib dom, types without node (through extends)
      '/web/package.json': '{ "name": "web" }',
      '/web/tsconfig.base.json':
        '{ "compilerOptions": { "lib": ["ES2022", "DOM"], "types": ["vite/client"] } }',
      '/web/tsconfig.json': '{ "extends": "./tsconfig.base", /* app */ "include": ["src"] }',
      '/web/src/a.ts': FETCH,
      // node: lib dom but every @types package visible (no types list)
      '/dom/package.json': '{ "name": "dom" }',
      '/dom/tsconfig.json': '{ "compilerOptions": { "lib": ["ES2022", "DOM"] } }',
      '/dom/src/a.ts': FETCH,
      // node: types has node
      '/api/package.json': '{ "name": "api" }',
      '/api/tsconfig.json': '{ "compilerOptions": { "lib": ["dom"], "types": ["node"] } }',
      '/api/src/a.ts': FETCH,
    });
    assert.deepEqual(found.sort(), ['/api/src/a.ts:2 FOX002', '/dom/src/a.ts:2 FOX002']);
  });

  it('skips functions passed to page.evaluate or serialised with toString, not the rest of the file', () => {
    const SCRAPER = `declare const page: { evaluate<T>(fn: () => T): Promise<T>; $eval(s: string, fn: (e: unknown) => unknown): Promise<unknown> };
export async function scrape(url: string) {
  await page.evaluate(async () => {
    await fetch('/api/items');
  });
  function collect() {
    return fetch('/api/more');
  }
  await page.$eval('#x', async () => fetch('/api/x'));
  const script = \`(\${collect.toString()})()\`;
  void script;
  return fetch(url);
}
`;
    assert.deepEqual(
      findings({ '/p/package.json': '{ "name": "p" }', '/p/src/scrape.ts': SCRAPER }),
      ['/p/src/scrape.ts:12 FOX002'],
    );
  });

  it('keeps correctness and fox-task rules in browser code', () => {
    const sf = ts.createSourceFile('/p/client/a.ts', FETCH, ts.ScriptTarget.ES2022, true);
    const browser = findBrowserCode(
      new FileContext(sf, '/p/client/a.ts', 'client/a.ts'),
      {},
      false,
    );
    assert.equal(browser.fileReason, 'it lies in a frontend folder');
    assert.deepEqual(
      ['FOX001', 'FOX002', 'FOX003', 'FOX004', 'FOX005', 'FOX006', 'FOX007', 'FOX008'].map((r) =>
        browser.skipsRule(r as 'FOX001'),
      ),
      [true, true, true, true, false, false, false, false],
    );
  });

  it('reads lib and types case-insensitively and follows relative extends only', () => {
    const files: Record<string, string> = {
      '/a/tsconfig.json':
        '{ "compilerOptions": { "lib": ["dom.iterable", "ESNext"], "types": [] } }',
      '/b/tsconfig.json': '{ "extends": "@tsconfig/vite-react/tsconfig.json" }',
      '/c/tsconfig.json': '{ "compilerOptions": { "lib": ["DOM"], "types": ["node/test"] } }',
    };
    const read = (p: string): string | undefined => files[p];
    assert.equal(tsconfigTargetsBrowser('/a/tsconfig.json', read), true);
    assert.equal(tsconfigTargetsBrowser('/b/tsconfig.json', read), false);
    assert.equal(tsconfigTargetsBrowser('/c/tsconfig.json', read), false);
    assert.equal(tsconfigTargetsBrowser('/missing/tsconfig.json', read), false);
  });
});
