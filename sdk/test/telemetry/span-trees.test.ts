import assert from 'node:assert/strict';
import { fox } from '@fox/sdk';
import { asyncContextMode, asyncContextOpen } from '../../src/context/run-context.js';
import { runtime } from '../../src/runtime/runtime.js';
import { Sink, until } from './sink.js';

describe('sampled span trees while a profiler is connected', () => {
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
      await new Promise((r) => setTimeout(r, 1));
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
    const spans = sink.of('spans').flatMap((f) => f.spans);
    const outers = spans.filter((s) => s.taskId === 'trees#outer');
    const inners = spans.filter((s) => s.taskId === 'trees#inner');
    assert.ok(outers.length >= 10, `sampled ${outers.length} of 40 roots`);
    for (const o of outers) {
      const children = inners.filter((s) => s.parentRunId === o.runId);
      assert.equal(children.length, 1, `outer ${o.runId} has its child after an await`);
    }
  });
});
