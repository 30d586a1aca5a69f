import assert from 'node:assert/strict';
import { fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';
import { until } from '../support/until.js';
import { Sink } from './sink.js';

describe('running parameters on the wire', () => {
  let sink: Sink;
  beforeEach(async () => (sink = await Sink.start()));
  afterEach(async () => {
    await runtime().reset();
    await sink.kill();
  });

  it('reports a task’s live timeout, retry and bulkhead, including a change made with configure()', async () => {
    fox.configure({ profiler: sink.url, profilerIntervalMs: 50 });
    const work = fox({ id: 'running#work', timeout: '2s', retry: 3, bulkhead: 4 }, async () => 1);
    const plain = fox({ id: 'running#plain' }, async () => 1);
    await until(() => runtime().profilerExporter?.counters().connected === true);
    await work();
    await plain();
    runtime().registry.get('running#work')!.policyChain!.get('timeout')!.configure({ ms: 1500 });
    await work();
    const latest = (id: string) =>
      sink
        .of('aggregates')
        .flatMap((f) => f.tasks)
        .filter((t) => t.id === id)
        .at(-1);
    await until(() => latest('running#work')?.running?.timeoutMs === 1500, 3000);
    assert.deepEqual(latest('running#work')?.running, {
      timeoutMs: 1500,
      retryAttempts: 3,
      bulkheadLimit: 4,
    });
    assert.equal(latest('running#plain')?.running, undefined, 'no policies, nothing to report');
    assert.deepEqual(sink.invalid, []);
  });
});
