import assert from 'node:assert/strict';
import { fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';
import { until } from '../support/until.js';
import { Sink } from '../telemetry/sink.js';

describe('flow runs in the profiler', () => {
  let sink: Sink;
  beforeEach(async () => (sink = await Sink.start()));
  afterEach(async () => {
    await runtime().reset();
    await sink.kill();
  });

  it('sends a sampled run as a span tree: run → node runs → the fox calls they make', async () => {
    fox.configure({ profiler: sink.url, profilerIntervalMs: 50 });
    const lookup = fox({ id: 'flow-spans#lookup' }, async (x: number) => {
      await new Promise((r) => setImmediate(r));
      return x * 2;
    });
    const flow = fox
      .flow('spans')
      .node('a', () => lookup(1))
      .node('b', { needs: ['a'] }, ({ a }) => lookup(a))
      .node('c', { needs: ['a'] }, () => {
        throw new Error('c broke');
      })
      .build();
    await until(() => runtime().profilerExporter?.counters().connected === true);
    const runIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const settled = await flow.run(undefined, { continueOnError: true });
      runIds.push(settled.runId);
    }
    await runtime().profilerExporter!.flush(2000);
    const spans = () => sink.of('spans').flatMap((f) => f.spans);
    await until(() => spans().some((s) => s.taskId === 'flow:spans'), 3000).catch(() => undefined);
    const all = spans();
    const runs = all.filter((s) => s.taskId === 'flow:spans');
    assert.ok(runs.length >= 1, 'at least one run sampled');
    let complete = 0;
    for (const run of runs) {
      assert.ok(runIds.includes(run.runId), 'the span carries the run id');
      assert.equal(run.parentRunId, null);
      const nodes = all.filter((s) => s.parentRunId === run.runId);
      const byTask = new Map(nodes.map((s) => [s.taskId, s]));
      const a = byTask.get('flow:spans#a');
      const b = byTask.get('flow:spans#b');
      const c = byTask.get('flow:spans#c');
      if (!a || !b || !c) continue;
      assert.equal(c.outcome, 'error');
      assert.equal(a.outcome, 'ok');
      assert.ok(b.start >= a.start + a.duration - 1, 'b starts after a ends');
      const calls = all.filter((s) => s.taskId === 'flow-spans#lookup');
      if (
        calls.some((s) => s.parentRunId === a.runId) &&
        calls.some((s) => s.parentRunId === b.runId)
      ) {
        complete++;
      }
    }
    assert.ok(complete >= 1, `${complete} of ${runs.length} sampled runs had complete trees`);
  });
});
