import assert from 'node:assert/strict';
import { FoxConfigError } from '../../src/errors/errors.js';
import { fox } from '../../src/runtime/fox.js';
import { runtime } from '../../src/runtime/runtime.js';

describe('tune options', () => {
  afterEach(() => runtime().reset());

  it('the task option takes bounds per policy and pins with false; bad bounds name their path', () => {
    assert.ok(
      fox(
        {
          id: 'tune-opt#ok',
          timeout: 100,
          tune: { timeout: { min: 10, max: '2s' }, retry: false },
        },
        async () => 1,
      ),
    );
    const path = (opts: object) => {
      try {
        fox({ id: `tune-opt#${Math.random()}`, timeout: 100, ...opts }, async () => 1);
      } catch (e) {
        assert.ok(e instanceof FoxConfigError);
        return e.path.join('.');
      }
      return 'accepted';
    };
    assert.equal(path({ tune: { timeout: { min: 500, max: 100 } } }), 'tune.timeout.max');
    assert.equal(path({ tune: { timeouts: true } }), 'tune.timeouts');
    assert.equal(path({ tune: 'yes' }), 'tune');
  });

  it('fox.configure({ tune }) bounds the canary at half the calls', () => {
    assert.throws(
      () => fox.configure({ store: ':memory:', tune: { canary: 0.6 } }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'tune.canary',
    );
    assert.throws(
      () => fox.configure({ store: false, tune: true }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'tune',
    );
  });

  it('off by default: a store alone starts no tuner; tune on a task or configure starts it', () => {
    fox.configure({ store: ':memory:' });
    fox({ id: 'tune-opt#plain', timeout: 100 }, async () => 1);
    assert.equal(fox.tuner.running, false);
    fox({ id: 'tune-opt#tuned', timeout: 100, tune: true }, async () => 1);
    assert.equal(fox.tuner.running, true);
    assert.deepEqual(
      fox.tuner.status().map((s) => s.taskId),
      ['tune-opt#tuned'],
    );
    fox.configure({ tune: { cooldownMs: 1000 } });
    assert.deepEqual(
      fox.tuner
        .status()
        .map((s) => s.taskId)
        .sort(),
      ['tune-opt#plain', 'tune-opt#tuned'],
    );
    assert.deepEqual(fox.tuner.status('tune-opt#tuned')[0]?.bounds, {
      'timeout.ms': { min: 10, max: 60_000 },
    });
    assert.equal(fox.tuner.setBounds('tune-opt#tuned', { timeout: { min: 50, max: 500 } }), true);
    assert.deepEqual(fox.tuner.status('tune-opt#tuned')[0]?.bounds, {
      'timeout.ms': { min: 50, max: 500 },
    });
    assert.throws(
      () => fox.tuner.setBounds('tune-opt#tuned', { timeout: { min: 500, max: 50 } }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'tune.timeout.max',
    );
    fox.tuner.setBounds('tune-opt#tuned', { timeout: false });
    assert.deepEqual(fox.tuner.status('tune-opt#tuned')[0]?.pinned, ['timeout']);
    assert.equal(fox.tuner.pause('tune-opt#plain'), true);
    assert.equal(fox.tuner.status('tune-opt#plain')[0]?.phase, 'paused');
    assert.equal(fox.tuner.pause('no-such#task'), false);
  });
});
