import assert from 'node:assert/strict';
import { FoxConfigError } from '../../src/errors/errors.js';
import {
  AdaptiveLimiter,
  LimiterOptionsSchema,
  WfoxStrategy,
  initialLimit,
  parseLimiterOptions,
} from '../../src/modes/wfox/index.js';

const configError = (path: string[]) => (err: unknown) => {
  assert.ok(err instanceof FoxConfigError, `expected FoxConfigError, got ${String(err)}`);
  assert.deepEqual(err.path, path);
  assert.equal(err.code, 'FOX_CONFIG');
  return true;
};

describe('wfox limiter options', () => {
  it('fills defaults: gradient, 1..1000, queue 1000, initial 20', () => {
    const o = parseLimiterOptions({});
    assert.equal(o.algorithm, 'gradient');
    assert.equal(o.min, 1);
    assert.equal(o.max, 1000);
    assert.equal(o.queue, 1000);
    assert.equal(o.queueTimeout, undefined);
    assert.equal(initialLimit(o), 20);
    assert.equal(o.gradient.tolerance, 1.1);
    assert.equal(o.vegas.alpha, 3);
    assert.equal(o.aimd.backoff, 0.9);
  });

  it('clamps the default initial limit into [min, max]', () => {
    assert.equal(initialLimit(parseLimiterOptions({ max: 5 })), 5);
    assert.equal(initialLimit(parseLimiterOptions({ min: 50 })), 50);
  });

  it('accepts its own output (options are resolved once, then handed to the strategy)', () => {
    const once = LimiterOptionsSchema.parse({ algorithm: 'vegas', queue: 0 });
    assert.deepEqual(LimiterOptionsSchema.parse(once), once);
  });

  const bad: [string, unknown, string[]][] = [
    ['an unknown key', { algorith: 'gradient' }, ['limiter', 'algorith']],
    ['an unknown algorithm', { algorithm: 'bbr' }, ['limiter', 'algorithm']],
    ['a fractional limit', { initial: 2.5 }, ['limiter', 'initial']],
    ['a zero min', { min: 0 }, ['limiter', 'min']],
    ['min above max', { min: 10, max: 5 }, ['limiter', 'min']],
    ['initial below min', { min: 10, initial: 5 }, ['limiter', 'initial']],
    ['initial above max', { max: 10, initial: 50 }, ['limiter', 'initial']],
    ['a negative queue', { queue: -1 }, ['limiter', 'queue']],
    ['a zero queueTimeout', { queueTimeout: 0 }, ['limiter', 'queueTimeout']],
    ['a tolerance below 1', { gradient: { tolerance: 0.9 } }, ['limiter', 'gradient', 'tolerance']],
    [
      'an unknown gradient key',
      { gradient: { tolerence: 2 } },
      ['limiter', 'gradient', 'tolerence'],
    ],
    ['vegas alpha ≥ beta', { vegas: { alpha: 6, beta: 3 } }, ['limiter', 'vegas', 'beta']],
    ['an aimd backoff of 1', { aimd: { backoff: 1 } }, ['limiter', 'aimd', 'backoff']],
    ['a string', 'gradient', ['limiter']],
  ];
  for (const [what, input, path] of bad) {
    it(`rejects ${what} with path ${path.join('.')}`, () => {
      assert.throws(() => parseLimiterOptions(input, 'src/a.ts#f'), configError(path));
      assert.throws(() => new AdaptiveLimiter(input as never), configError(path));
      assert.throws(() => new WfoxStrategy(input as never), configError(path));
    });
  }

  it('names the task in the message', () => {
    assert.throws(
      () => parseLimiterOptions({ max: 0 }, 'src/a.ts#f'),
      (err: Error) => /limiter\.max/.test(err.message) && /src\/a\.ts#f/.test(err.message),
    );
  });
});
