import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { startExporter, type Exporter } from '@fox/sdk/telemetry';
import { type StatsSnapshot } from '@fox/sdk';
import { startProfiler, type CollectorLimits, type Profiler } from '../src/index.js';
import { FakeExporter } from './fake-exporter.js';
import { until } from './helpers.js';

/** Small limits so that every cut-off happens within a second. */
const FAST: Partial<CollectorLimits> = {
  headersTimeoutMs: 300,
  helloTimeoutMs: 300,
  idleTimeoutMs: 500,
  pingIntervalMs: 200,
};

const stats = (): StatsSnapshot =>
  ({
    at: Date.now(),
    process: {
      pid: 1,
      uptimeMs: 1,
      eventLoopDelay: { p50: 0, p99: 0, max: 0 },
      eventLoopUtilization: 0,
      cpu: 0,
      heapUsedBytes: 0,
      rssBytes: 0,
    },
    tasks: [],
  }) satisfies StatsSnapshot;

/**
 * Slow-loris clients against a real profiler on 127.0.0.1: each must be cut off within bounded
 * time (counted by the limit that did it) while the profiler keeps serving everyone else.
 */
describe('slow and silent clients', function () {
  this.timeout(15_000);
  let profiler: Profiler;
  const sockets: Socket[] = [];
  const clients: WebSocket[] = [];
  const fakes: FakeExporter[] = [];

  const start = async (limits: Partial<CollectorLimits>) => {
    profiler = await startProfiler({ storePath: false, pushIntervalMs: 100, limits });
  };
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of clients.splice(0)) c.terminate();
    for (const f of fakes.splice(0)) f.close();
    await profiler.close();
  });

  /** A raw TCP socket to the profiler; resolves once connected. */
  const raw = async (options: { allowHalfOpen?: boolean } = {}): Promise<Socket> => {
    const s = connect({ port: profiler.port, host: '127.0.0.1', ...options });
    sockets.push(s);
    s.on('error', () => {});
    s.resume(); // flowing, so that the server's end is seen as a close
    await new Promise((r) => s.once('connect', r));
    return s;
  };
  /** Milliseconds until `s` closes (or the deadline passes: Infinity). */
  const closesWithin = (s: Socket | WebSocket, ms: number): Promise<number> => {
    const t0 = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(Infinity), ms);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - t0);
      });
    });
  };
  const wsTo = async (path: string, options: { autoPong?: boolean } = {}) => {
    const url = new URL(profiler.url);
    url.pathname = path;
    const ws = new WebSocket(url.toString(), options);
    clients.push(ws);
    ws.on('error', () => {});
    await new Promise((r, j) => (ws.once('open', r), ws.once('unexpected-response', j)));
    return ws;
  };
  /** The profiler still answers an HTTP request promptly. */
  const servesState = async () => {
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${profiler.port}/api/state?token=${profiler.token}`);
    assert.equal(res.status, 200);
    await res.json();
    assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
  };

  it('cuts off a socket that sends nothing, and one that sends its headers a byte at a time', async () => {
    await start(FAST);
    const silent = await raw();
    const drip = await raw();
    const request = `GET /api/state?token=${profiler.token} HTTP/1.1\r\nHost: x\r\nX-Slow: `;
    let i = 0;
    const dripping = setInterval(() => {
      if (!drip.destroyed) drip.write(request[i++] ?? 'a');
    }, 20);
    try {
      const closed = [closesWithin(silent, 5000), closesWithin(drip, 5000)] as const;
      // Others are served meanwhile: a page, and an exporter's frames.
      await servesState();
      const fake = await FakeExporter.connect(profiler.url, 'P-OTHER', [{ id: 't' }]);
      fakes.push(fake);
      fake.interval(Date.now(), [{ id: 't', latencies: [1, 2] }]);
      await until(() => profiler.counters().framesAccepted === 2, 2000, 'the frames accepted');
      const [a, b] = await Promise.all(closed);
      // Node's own check runs every 30 s by default: without a shorter interval both linger.
      assert.ok(a < 2500 && b < 2500, `closed after ${a} and ${b} ms`);
      assert.ok(i > 10, 'the drip was still sending when it was cut off');
    } finally {
      clearInterval(dripping);
    }
    assert.equal(profiler.counters().connections.cut.requestTimeout, 2);
  });

  it('cuts off an authenticated exporter connection that never says hello', async () => {
    await start(FAST);
    const ws = await wsTo('/');
    const ms = await closesWithin(ws, 5000);
    assert.ok(ms < 2500, `closed after ${ms} ms`);
    assert.equal(profiler.counters().connections.cut.noHello, 1);
    await until(() => profiler.counters().connections.open === 0, 2000, 'nothing open');
  });

  it('cuts off an exporter that falls silent after its hello, never one that keeps sending', async () => {
    await start(FAST);
    const silent = await FakeExporter.connect(profiler.url, 'P-SILENT', [{ id: 't' }]);
    fakes.push(silent);
    let diagnostics = '';
    const exporter: Exporter = startExporter({
      url: profiler.url,
      runtime: { processId: 'P-LIVE', tasks: () => [], stats, histogram: () => undefined },
      intervalMs: 100,
      exitHooks: false,
      onDiagnostic: (m) => (diagnostics += `${m}\n`),
    });
    try {
      const ms = await closesWithin(silent.ws, 5000);
      assert.ok(ms < 2500, `closed after ${ms} ms`);
      // Three idle timeouts later the live exporter is still on its first connection.
      await new Promise((r) => setTimeout(r, 1500));
      const e = exporter.counters();
      assert.ok(e.connected && e.connects === 1, `${JSON.stringify(e)}\n${diagnostics}`);
      const cut = profiler.counters().connections.cut;
      assert.equal(cut.idle, 1);
      assert.equal(cut.noHello, 0);
    } finally {
      await exporter.shutdown(500);
    }
  });

  it('keeps a quiet UI client that answers pings, and cuts off one that does not', async () => {
    await start(FAST);
    const quiet = await wsTo('/ui');
    const deaf = await wsTo('/ui', { autoPong: false });
    const ms = await closesWithin(deaf, 5000);
    // A ping goes out every 200 ms; the second one finds the first unanswered.
    assert.ok(ms < 2000, `closed after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(quiet.readyState, WebSocket.OPEN, 'the quiet client is still connected');
    const c = profiler.counters();
    assert.equal(c.connections.cut.noPong, 1);
    assert.equal(c.uiClients, 1);
  });

  it('bounds idle sockets: the oldest are closed and a real client still gets in', async () => {
    await start({ maxIdleSockets: 5 });
    const idle: Socket[] = [];
    for (let i = 0; i < 20; i++) idle.push(await raw());
    await until(() => idle.filter((s) => !s.destroyed).length === 5, 3000, 'the idle bound');
    assert.deepEqual(
      idle.map((s) => s.destroyed),
      [...Array<boolean>(15).fill(true), ...Array<boolean>(5).fill(false)],
      'the oldest went first',
    );
    assert.equal(profiler.counters().connections.cut.evicted, 15);
    await servesState();
    const fake = await FakeExporter.connect(profiler.url, 'P-AFTER', [{ id: 't' }]);
    fakes.push(fake);
    await until(() => profiler.state().processes.length === 1, 2000, 'the hello');
  });

  it('refuses connections over maxConnections at accept', async () => {
    await start({ maxConnections: 4 });
    const held = await Promise.all(Array.from({ length: 6 }, () => raw()));
    await until(() => held.filter((s) => s.destroyed).length === 2, 3000, 'two refused');
    const c = profiler.counters().connections;
    assert.equal(c.cut.overLimit, 2);
    assert.equal(c.sockets, 4);
  });

  it('closes a refused upgrade whose client never closes its side', async () => {
    await start(FAST);
    const s = await raw({ allowHalfOpen: true });
    let response = '';
    s.on('data', (d: Buffer) => (response += String(d)));
    s.write(
      'GET /?token=wrong HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await until(() => response.includes('401'), 2000, 'the 401');
    // The client keeps its side open; the server must still let the socket go.
    await until(() => profiler.counters().connections.sockets === 0, 3000, 'the socket closed');
    assert.equal(profiler.counters().connections.rejected, 1);
  });
});
