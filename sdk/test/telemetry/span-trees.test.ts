import assert from 'node:assert/strict';
import { fox } from '@fox/sdk';
import { asyncContextMode, asyncContextOpen } from '../../src/context/run-context.js';
import { runtime } from '../../src/runtime/runtime.js';
import { until } from '../support/until.js';
import { Sink } from './sink.js';

describe('runtime connected to a profiler', () => {
  let sink: Sink;
  beforeEach(async () => (sink = await Sink.start()));
  afterEach(async () => {
    await runtime().reset();
    await sink.kill();
  });

  it('records complete trees across awaits and leaves the hooks off between sampled calls', async () => {
    fox.configure({ profiler: sink.url, profilerIntervalMs: 50 });
    const inner = fox({ id: 'trees#inner' }, async (x: number) => x + 1);
    const outer = fox({ id: 'trees#outer' }, async (x: number) => {
      await new Promise((r) => setImmediate(r));
      return inner(x);
    });
    await until(() => runtime().profilerExporter?.counters().connected === true);
    assert.equal(asyncContextMode(), 'sampled');
    // A cold first call can use up a second's budget of tracked time (100 ms) on a busy
    // machine; calls over two periods see at least one with budget left.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20; i++) assert.equal(await outer(i), i + 1);
      if (round === 0) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(asyncContextOpen(), false, 'no sampled call running: hooks off');
    await runtime().profilerExporter!.flush(2000);
    // flush() hands the frames to the socket; give the server the moment it needs to read them.
    const spansOf = (taskId: string) =>
      sink
        .of('spans')
        .flatMap((f) => f.spans)
        .filter((s) => s.taskId === taskId);
    await until(() => spansOf('trees#outer').length >= 10, 3000).catch(() => undefined);
    const spans = sink.of('spans').flatMap((f) => f.spans);
    const outers = spans.filter((s) => s.taskId === 'trees#outer');
    const inners = spans.filter((s) => s.taskId === 'trees#inner');
    assert.ok(outers.length >= 10, `sampled ${outers.length} of 40 roots`);
    // Each tree is complete unless the time budget ran out while it ran (a loaded machine).
    const complete = outers.filter(
      (o) => inners.filter((s) => s.parentRunId === o.runId).length === 1,
    );
    assert.ok(
      complete.length >= outers.length * 0.9,
      `${complete.length} of ${outers.length} trees complete`,
    );
  });

  it('sends each event of a task once when FOX_PROFILER connects at its registration', async () => {
    process.env.FOX_PROFILER = sink.url;
    try {
      const work = fox({ id: 'trees#work' }, async () => 1);
      await until(() => runtime().profilerExporter?.counters().connected === true);
      await runtime().registry.get('trees#work')!.setStrategy('wfox');
      await work();
      await runtime().profilerExporter!.flush(2000);
      const strategy = () =>
        sink
          .of('events')
          .flatMap((f) => f.events)
          .filter((e) => e.kind === 'strategy');
      await until(() => strategy().length > 0, 3000);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(strategy().length, 1);
    } finally {
      delete process.env.FOX_PROFILER;
    }
  });
});
