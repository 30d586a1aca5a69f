import { strict as assert } from 'node:assert';
import {
  type CodeAction,
  type CodeLens,
  type Hover,
  type MessageConnection,
} from 'vscode-languageserver/node.js';
import { FoxAnalyzer } from '../../src/index.js';
import { openSession } from './support/session.js';

const URI = 'file:///proj/src/routes.ts';
// Two CPU-heavy functions: one named (it can become a task), one inline route handler (it cannot).
const SOURCE = `import express from 'express';
import { pbkdf2Sync } from 'node:crypto';
const app = express();
export function hashAll(passwords: string[]) {
  return passwords.map((p) => pbkdf2Sync(p, 's', 100000, 64, 'sha512'));
}
app.post('/hash', (req, res) => {
  const out = [];
  for (const p of req.body.passwords) out.push(pbkdf2Sync(p, 's', 100000, 64, 'sha512'));
  res.json(out);
});
`;

describe('language server: inline route handlers', function () {
  this.timeout(60_000);
  let client: MessageConnection;
  let close: () => void;
  const doc = { textDocument: { uri: URI } };

  before(async () => {
    ({ client, close } = await openSession(
      {
        debounceMs: 10,
        createAnalyzer: () => FoxAnalyzer.inMemory({ '/proj/package.json': '{ "name": "proj" }' }),
      },
      { capabilities: {}, open: { uri: URI, text: SOURCE } },
    ));
    await client.sendRequest('textDocument/diagnostic', doc);
  });
  after(() => close());

  it('puts "Run as tfox" above the named function only, not above the inline handler', async () => {
    const lenses = (await client.sendRequest('textDocument/codeLens', doc)) as CodeLens[];
    assert.deepEqual(
      lenses.map((l) => `${l.range.start.line + 1}: ${l.command?.title}`),
      ['4: Run as tfox'],
    );
  });

  it('offers no quick fix at the inline handler', async () => {
    const range = { start: { line: 6, character: 0 }, end: { line: 9, character: 0 } };
    const actions = (await client.sendRequest('textDocument/codeAction', {
      ...doc,
      range,
      context: { diagnostics: [] },
    })) as CodeAction[];
    assert.deepEqual(
      actions.map((a) => a.title),
      [],
    );
  });

  it('hovers over the route path with the handler and its classification', async () => {
    const hover = (await client.sendRequest('textDocument/hover', {
      ...doc,
      position: { line: 6, character: 11 },
    })) as Hover | null;
    const text = (hover?.contents as { value: string } | undefined)?.value ?? '';
    assert.match(text, /src\/routes\.ts#POST \/hash/);
    assert.match(text, /Handler: route `POST \/hash`/);
    assert.match(text, /CPU-bound/);
  });
});
