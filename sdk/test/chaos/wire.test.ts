import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ExperimentInput } from '../../src/chaos/experiment.js';
import { resetChaosKillSwitch } from '../../src/chaos/process-kill-switch.js';
import { ChaosKillSwitchError } from '../../src/chaos/kill-switch.js';
import { toWireChaosReport, type ChaosReport } from '../../src/chaos/report.js';
import {
  WireChaosReportSchema,
  parseExporterFrame,
  type ExporterFrame,
  type WireEvent,
} from '../../src/protocol/wire.js';
import { fox } from '../../src/runtime/fox.js';
import { runtime } from '../../src/runtime/runtime.js';
import { until } from '../support/until.js';

/** A stand-in profiler on 127.0.0.1: keeps every frame that validates, and the rest apart. */
class ProfilerStub {
  readonly frames: ExporterFrame[] = [];
  readonly invalid: string[] = [];
  readonly sockets: WebSocket[] = [];
  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      this.sockets.push(ws);
      ws.on('message', (data) => {
        const r = parseExporterFrame(String(data));
        if (r.ok) this.frames.push(r.frame);
        else this.invalid.push(r.detail);
      });
    });
  }

  static async start(): Promise<ProfilerStub> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    return new ProfilerStub(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}?token=t`;
  }

  events(): WireEvent[] {
    return this.frames.flatMap((f) => (f.type === 'events' ? f.events : []));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}

function experiment(over: Partial<ExperimentInput> = {}): ExperimentInput {
  return {
    name: 'over the wire',
    seed: 3,
    impact: 'low',
    hypothesis: { probes: [] },
    method: [{ fault: { type: 'error' }, target: { tasks: ['wire-chaos#*'], rate: 0.5 } }],
    baselineMs: 0,
    durationMs: 60_000,
    recoveryMs: 0,
    ...over,
  };
}

describe('chaos over the profiler connection', () => {
  let dir: string;
  let profiler: ProfilerStub;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-chaos-wire-'));
    profiler = await ProfilerStub.start();
    fox.configure({
      store: join(dir, 'fox.db'),
      profiler: profiler.url,
      profilerIntervalMs: 50,
    });
  });
  afterEach(async () => {
    await runtime().reset();
    resetChaosKillSwitch();
    await profiler.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Calls `work` n times; returns how many failed with an injected fault. */
  async function call(work: () => Promise<unknown>, n: number): Promise<number> {
    let injected = 0;
    for (let i = 0; i < n; i++) {
      await work().catch((err: { code?: string }) => {
        if (err.code !== 'FOX_CHAOS_INJECTED') throw err;
        injected++;
      });
    }
    return injected;
  }

  it("the profiler's chaos-kill frame kills every experiment in the process; start, abort and the report arrive as valid events", async () => {
    const work = fox({ id: 'wire-chaos#work' }, async () => 'ok');
    await until(() => profiler.sockets.length === 1);
    const forge = runtime().guardianRuntime!.forge;
    const run = await forge.start(experiment());
    assert.equal(run.state, 'running');
    await until(() => run.injector?.injecting === true);
    assert.ok((await call(work, 50)) > 0);

    profiler.sockets[0]!.send(JSON.stringify({ type: 'chaos-kill', v: 1, reason: 'from the ui' }));
    const report = await run.done;
    assert.equal(report.outcome, 'killed');
    assert.equal(report.abortReason, 'from the ui');
    assert.equal(await call(work, 50), 0, 'nothing is injected after the kill');
    await assert.rejects(forge.start(experiment()), ChaosKillSwitchError);

    await until(() => profiler.events().some((e) => e.kind === 'chaos-report'));
    const mine = profiler
      .events()
      .filter((e) => (e.kind === 'chaos' ? e.experimentId : undefined) === run.id);
    assert.deepEqual(
      mine.map((e) => e.kind === 'chaos' && e.action),
      ['start', 'abort'],
    );
    const sent = profiler.events().find((e) => e.kind === 'chaos-report');
    assert.ok(sent?.kind === 'chaos-report');
    assert.equal(sent.report.experimentId, run.id);
    assert.equal(sent.report.outcome, 'killed');
    assert.deepEqual(sent.report, toWireChaosReport(report));
    assert.ok(sent.report.tasks['wire-chaos#work']!.during.injected > 0);
    assert.deepEqual(profiler.invalid, []);
  });

  it('a completed experiment sends stop and its report; spans of injected calls carry its id', async () => {
    const work = fox({ id: 'wire-chaos#work' }, async () => 'ok');
    await until(() => profiler.sockets.length === 1);
    const run = await runtime().guardianRuntime!.forge.start(experiment({ durationMs: 300 }));
    await until(() => run.injector?.injecting === true);
    const injected = await call(work, 40);
    assert.ok(injected > 0 && injected < 40);
    const report = await run.done;
    assert.equal(report.outcome, 'completed');
    await until(() =>
      profiler.events().some((e) => e.kind === 'chaos-report' && e.report.experimentId === run.id),
    );
    const actions = profiler
      .events()
      .flatMap((e) => (e.kind === 'chaos' && e.experimentId === run.id ? [e.action] : []));
    assert.deepEqual(actions, ['start', 'stop']);

    await until(() => profiler.frames.some((f) => f.type === 'spans'));
    const spans = profiler.frames.flatMap((f) => (f.type === 'spans' ? f.spans : []));
    const tagged = spans.filter((s) => s.chaos !== undefined);
    const untagged = spans.filter((s) => s.chaos === undefined);
    assert.ok(tagged.length > 0 && untagged.length > 0, `${tagged.length}/${untagged.length}`);
    assert.ok(tagged.every((s) => s.chaos === run.id && s.outcome !== 'ok'));
    assert.ok(untagged.every((s) => s.outcome === 'ok'));
    assert.deepEqual(profiler.invalid, []);
  });
});

describe('chaos report on the wire', () => {
  const phase = {
    calls: 0,
    errors: 0,
    injected: 0,
    errorRate: { value: NaN, low: 0, high: 1 },
    fallbackRate: { value: Infinity, low: 0, high: 1 },
    p50: { value: 3, low: -Infinity, high: Infinity },
    p99: { value: NaN, low: NaN, high: NaN },
  };
  const report: ChaosReport = {
    experimentId: '01J000000000000000000000E1',
    name: 'x'.repeat(300),
    seed: 1,
    startedAt: 1,
    endedAt: 2,
    outcome: 'aborted',
    abortReason: 'r'.repeat(2000),
    abortLatencyMs: NaN,
    affected: 0,
    tasks: { 'src/a.ts#f': { before: phase, during: phase, after: phase } },
  };

  it('has only finite numbers and fits the schema, where the raw report would not', () => {
    assert.equal(WireChaosReportSchema.safeParse(report).success, false);
    const wire = toWireChaosReport(report);
    assert.deepEqual(WireChaosReportSchema.parse(wire), wire);
    const json = JSON.stringify(wire);
    assert.deepEqual(JSON.parse(json), wire, 'survives JSON unchanged');
    const during = wire.tasks['src/a.ts#f']!.during;
    assert.deepEqual(during.errorRate, { value: 0, low: 0, high: 1 });
    assert.equal(during.fallbackRate, null);
    assert.deepEqual(during.p50, { value: 3, low: 3, high: 3 });
    assert.equal(during.p99, null);
    assert.equal(wire.abortLatencyMs, null);
    assert.equal(wire.name.length, 256);
    assert.equal(wire.abortReason!.length, 1024);
  });
});
