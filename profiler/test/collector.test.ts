import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startCollector, tokenMatches } from '../src/index.js';
import type { Collector } from '../src/index.js';

/** Resolves with 'open', or with the HTTP status the server refused the handshake with. */
function connect(url: string): Promise<{ ws: WebSocket; result: 'open' | number }> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, result: 'open' }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ ws, result: res.statusCode ?? 0 });
    });
    ws.once('error', reject);
  });
}

describe('collector', () => {
  let collector: Collector;
  const sockets: WebSocket[] = [];

  beforeEach(async () => {
    collector = await startCollector({ token: 'sekret-token' });
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await collector.close();
  });

  it('listens on loopback on a random port and advertises a FOX_PROFILER url', () => {
    assert.equal(collector.host, '127.0.0.1');
    assert.ok(collector.port > 0);
    assert.equal(collector.url, `ws://127.0.0.1:${collector.port}?token=sekret-token`);
  });

  it('accepts a client with the token, refuses one without, and stays up', async () => {
    const received: string[] = [];
    await collector.close();
    collector = await startCollector({
      onConnection: (ws) => ws.on('message', (data) => received.push(String(data))),
    });
    const base = `ws://127.0.0.1:${collector.port}`;

    const good = await connect(collector.url);
    sockets.push(good.ws);
    assert.equal(good.result, 'open');

    const none = await connect(base);
    sockets.push(none.ws);
    assert.equal(none.result, 401);
    const wrong = await connect(`${base}?token=${collector.token.slice(0, -1)}x`);
    sockets.push(wrong.ws);
    assert.equal(wrong.result, 401);

    // The server survived the refusals: the first client still talks, a new one still connects.
    good.ws.send('hello');
    const again = await connect(collector.url);
    sockets.push(again.ws);
    assert.equal(again.result, 'open');
    while (received.length === 0) await new Promise((r) => setImmediate(r));
    assert.deepEqual(received, ['hello']);
    const { accepted, rejected, open, cut } = collector.counters();
    assert.deepEqual({ accepted, rejected, open }, { accepted: 2, rejected: 2, open: 2 });
    assert.ok(
      Object.values(cut).every((n) => n === 0),
      JSON.stringify(cut),
    );
  });

  it('close() disconnects clients and stops listening', async () => {
    const client = await connect(collector.url);
    sockets.push(client.ws);
    const closed = once(client.ws, 'close');
    await collector.close();
    await closed;
    await collector.close(); // idempotent
    await assert.rejects(connect(collector.url), /ECONNREFUSED/);
  });

  it('refuses to bind a non-loopback address', async () => {
    await assert.rejects(startCollector({ host: '0.0.0.0' }), /loopback only/);
  });

  it('compares tokens exactly', () => {
    assert.equal(tokenMatches('abc', 'abc'), true);
    assert.equal(tokenMatches('abd', 'abc'), false);
    assert.equal(tokenMatches('abcd', 'abc'), false);
    assert.equal(tokenMatches('', 'abc'), false);
    assert.equal(tokenMatches(null, 'abc'), false);
  });
});
