import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { startExporter, type Exporter } from '@fox/sdk/telemetry';
import { type StatsSnapshot } from '@fox/sdk';
import { startProfiler, type Profiler, type ServerToUi } from '../src/index.js';
import { FakeExporter } from './fake-exporter.js';
import { until } from './helpers.js';

/** A UI client on `/ui` that collects the profiler's replies. */
async function uiClient(profiler: Profiler): Promise<{ ws: WebSocket; replies: ServerToUi[] }> {
  const url = new URL(profiler.url);
  url.pathname = '/ui';
  const ws = new WebSocket(url.toString());
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const replies: ServerToUi[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as ServerToUi;
    if (m.type !== 'state' && m.type !== 'spans') replies.push(m);
  });
  return { ws, replies };
}

const kills = (r: ServerToUi[]) => r.filter((m) => m.type === 'chaos-kill-relayed');

describe('the chaos kill switch over /ui', () => {
  let profiler: Profiler;
  let a: FakeExporter;
  let b: FakeExporter;
  let ui: Awaited<ReturnType<typeof uiClient>>;

  beforeEach(async () => {
    profiler = await startProfiler({ storePath: false, pushIntervalMs: 60_000 });
    a = await FakeExporter.connect(profiler.url, 'P-A', [{ id: 'src/a.ts#f' }]);
    b = await FakeExporter.connect(profiler.url, 'P-B', [{ id: 'src/b.ts#g' }]);
    await until(() => profiler.state().processes.length === 2, 5000, 'both hellos');
    ui = await uiClient(profiler);
  });
  afterEach(async () => {
    ui.ws.terminate();
    a.close();
    b.close();
    await profiler.close();
  });

  const send = (m: unknown) => ui.ws.send(typeof m === 'string' ? m : JSON.stringify(m));

  it('relays a chaos-kill frame to the one process named, with the reason', async () => {
    send({ type: 'chaos-kill', v: 1, token: profiler.token, processId: 'P-B', reason: 'too hot' });
    await until(() => b.controls('chaos-kill').length === 1, 5000, 'the frame at P-B');
    assert.deepEqual(b.controls('chaos-kill')[0], { type: 'chaos-kill', v: 1, reason: 'too hot' });
    await until(() => kills(ui.replies).length === 1, 5000, 'the reply');
    assert.deepEqual(kills(ui.replies)[0], { type: 'chaos-kill-relayed', ok: true, processes: 1 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.controls('chaos-kill').length, 0, 'the other process is left alone');
    assert.equal(profiler.counters().ui.chaosKillsRelayed, 1);
  });

  it('relays to every connected process when none is named', async () => {
    send({ type: 'chaos-kill', v: 1, token: profiler.token });
    await until(
      () => a.controls('chaos-kill').length === 1 && b.controls('chaos-kill').length === 1,
      5000,
      'both frames',
    );
    await until(() => kills(ui.replies).length === 1, 5000, 'the reply');
    assert.deepEqual(kills(ui.replies)[0], { type: 'chaos-kill-relayed', ok: true, processes: 2 });
    // A default reason fills the frame's required field.
    assert.match((a.controls('chaos-kill')[0] as { reason: string }).reason, /kill switch/);
  });

  it('refuses and counts a kill without the token, with a wrong one, or malformed', async () => {
    send({ type: 'chaos-kill', v: 1 });
    send({ type: 'chaos-kill', v: 1, token: 'wrong' });
    send({ type: 'chaos-kill', v: 1, token: profiler.token.slice(1) });
    send({ type: 'chaos-kill', v: 2, token: profiler.token });
    send({ type: 'chaos-kill', v: 1, token: profiler.token, processId: 'P-NOBODY' });
    send({ type: 'chaos-kill', v: 1, token: profiler.token, extra: true });
    await until(() => kills(ui.replies).length === 6, 5000, 'six replies');
    assert.deepEqual(
      kills(ui.replies).map((m) => (m.type === 'chaos-kill-relayed' ? [m.ok, m.reason] : [])),
      [
        [false, 'bad token'],
        [false, 'bad token'],
        [false, 'bad token'],
        [false, 'invalid'],
        [false, 'process not connected'],
        [false, 'invalid'],
      ],
    );
    const c = profiler.counters().ui;
    assert.equal(c.refused.badToken, 3);
    assert.equal(c.refused.invalid, 2);
    assert.equal(c.chaosKillsRelayed, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.controls('chaos-kill').length + b.controls('chaos-kill').length, 0);
  });

  it('survives random and malformed UI messages, counts them, and keeps serving', async () => {
    const messages = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.json({ maxDepth: 4 }),
        fc.constantFrom(
          'null',
          '[]',
          '1',
          '"x"',
          '{}',
          '{"type":null}',
          '{"type":"approval"}',
          '{"type":"approval","decision":null}',
          '{"type":"approval","token":{},"decision":{"proposalId":{}}}',
          '{"type":"chaos-kill","token":["a"]}',
          '{"type":"select","processId":1}',
          '{"type":"__proto__"}',
        ),
        fc
          .record({
            type: fc.constantFrom('approval', 'chaos-kill', 'select', 'ready', 'unselect'),
            token: fc.oneof(fc.constant(profiler.token), fc.string(), fc.jsonValue()),
            processId: fc.oneof(fc.constantFrom('P-A', 'P-B'), fc.jsonValue()),
            decision: fc.jsonValue(),
          })
          .map((m) => JSON.stringify(m)),
        fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)),
        fc.constant('x'.repeat(70 << 10)),
      ),
      { numRuns: 3000, seed: 11 },
    );
    for (const [i, m] of messages.entries()) {
      ui.ws.send(m);
      if (i % 300 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => profiler.counters().ui.received >= messages.length, 20_000, 'all read');
    const c = profiler.counters().ui;
    assert.ok(
      c.refused.notJson > 0 && c.refused.invalid > 0 && c.refused.tooLarge > 0,
      JSON.stringify(c),
    );
    // Still serving: a good kill goes through, and a new UI client gets the state.
    send({ type: 'chaos-kill', v: 1, token: profiler.token, processId: 'P-A', reason: 'after' });
    await until(
      () => a.controls('chaos-kill').some((f) => (f as { reason: string }).reason === 'after'),
      5000,
      'the good kill after the noise',
    );
    const other = await uiClient(profiler);
    const state = new Promise<ServerToUi>((resolve) =>
      other.ws.once('message', (d) => resolve(JSON.parse(String(d)) as ServerToUi)),
    );
    other.ws.send(JSON.stringify({ type: 'ready' }));
    assert.equal((await state).type, 'state');
    other.ws.terminate();
  });

  it('reaches a real exporter: exporter.onChaosKill fires with the reason', async () => {
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
    const exporter: Exporter = startExporter({
      url: profiler.url,
      runtime: { processId: 'P-REAL', tasks: () => [], stats, histogram: () => undefined },
      intervalMs: 50,
      exitHooks: false,
    });
    try {
      const reasons: string[] = [];
      exporter.onChaosKill((r) => void reasons.push(r));
      await until(() => profiler.state().processes.some((p) => p.id === 'P-REAL'), 5000, 'hello');
      assert.deepEqual(profiler.killChaos('P-REAL', 'from the editor'), { ok: true, processes: 1 });
      await until(() => reasons.length === 1, 5000, 'onChaosKill');
      assert.deepEqual(reasons, ['from the editor']);
      assert.deepEqual(profiler.killChaos('P-NOBODY'), {
        ok: false,
        processes: 0,
        reason: 'process not connected',
      });
    } finally {
      await exporter.shutdown(500);
    }
  });
});
