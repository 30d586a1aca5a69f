import assert from 'node:assert/strict';
import { fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

describe('runtime.onTaskRegistered', () => {
  afterEach(() => runtime().reset());

  it('tells every listener about each new task, and stops telling one once it unsubscribes', () => {
    const first: string[] = [];
    const second: string[] = [];
    const a = runtime().onTaskRegistered((task) => first.push(task.id));
    const b = runtime().onTaskRegistered((task) => second.push(task.id));
    fox({ id: 'registered#one' }, async () => 1);
    a.dispose();
    fox({ id: 'registered#two' }, async () => 2);
    b.dispose();
    fox({ id: 'registered#three' }, async () => 3);
    assert.deepEqual(first, ['registered#one']);
    assert.deepEqual(second, ['registered#one', 'registered#two']);
  });

  it('fires once the task is in the registry, so a listener can look it up', () => {
    let found = false;
    const sub = runtime().onTaskRegistered((task) => {
      found = runtime().registry.get(task.id) === task;
    });
    fox({ id: 'registered#lookup' }, async () => 1);
    sub.dispose();
    assert.equal(found, true);
  });
});
