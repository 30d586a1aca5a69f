import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createConnection,
  createMessageConnection,
  type CodeAction,
  type CodeLens,
  type Hover,
} from 'vscode-languageserver/node.js';
import { FoxAnalyzer, createFoxServer } from '../../src/index.js';

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
  const up = new PassThrough();
  const down = new PassThrough();
  const server = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const fox = createFoxServer(server, {
    debounceMs: 10,
    createAnalyzer: () => FoxAnalyzer.inMemory({ '/proj/package.json': '{ "name": "proj" }' }),
  });
  const client = createMessageConnection(
    new StreamMessageReader(down),
    new StreamMessageWriter(up),
  );
  const doc = { textDocument: { uri: URI } };

  before(async () => {
    server.listen();
    client.onRequest('workspace/diagnostic/refresh', () => null);
    client.listen();
    await client.sendRequest('initialize', {
      processId: null,
      rootUri: 'file:///proj',
      capabilities: {},
    });
    await client.sendNotification('initialized', {});
    await client.sendNotification('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'typescript', version: 1, text: SOURCE },
    });
    await client.sendRequest('textDocument/diagnostic', doc);
  });
  after(() => {
    fox.dispose();
    client.dispose();
    server.dispose();
    up.end();
    down.end();
  });

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
