import assert from 'node:assert/strict';
import { z } from 'zod';
import { FoxConfigError } from '../../src/errors/errors.js';
import {
  PolicyOptionsSchema,
  PolicyOptionsShape,
  buildPolicies,
  parseDuration,
} from '../../src/policies/index.js';
import { chain, fakeClock } from './fixtures.js';

function configError(options: unknown): FoxConfigError {
  try {
    buildPolicies(options as Record<string, unknown>, { taskId: 't#x', clock: fakeClock() });
  } catch (err) {
    assert.ok(err instanceof FoxConfigError, `expected FoxConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('policy options', () => {
  it('parses durations in ms, s, m and h', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('2 weeks'), undefined);
    assert.equal(parseDuration(Number.NaN), undefined);
  });

  it('expands shorthands to full configs with safe defaults', () => {
    const out = PolicyOptionsSchema.parse({ timeout: '2s', retry: 4, bulkhead: 8, fallback: 0 });
    assert.deepEqual(out.timeout, { ms: 2000, cancel: 'cooperative' });
    assert.equal(out.retry?.attempts, 4);
    assert.equal(out.retry?.backoff, 'exponential');
    assert.deepEqual(out.retry?.budget, { ratio: 0.1, minPerSecond: 10 });
    assert.deepEqual(out.bulkhead, { limit: 8, queue: 0 });
    assert.deepEqual(out.fallback, { value: 0 });
  });

  it('normalized output is valid input (configure re-parses it)', () => {
    const input = {
      timeout: { ms: '1s', cancel: 'abandon' },
      retry: { attempts: 5, backoff: 'decorrelated', delay: '50ms', retryOn: ['ECONNRESET'] },
      breaker: { failureRate: 0.5, slowCallRate: 0.8, slowCallMs: 200, count: 50, minCalls: 10 },
      bulkhead: { limit: 2, queue: 3 },
      fallback: { handler: () => 1, on: ['FOX_TIMEOUT'] },
      rateLimit: { limit: 10, window: '1s', mode: 'wait' },
      hedge: { after: 'p95' },
      cache: { ttl: '30s', key: (id: string) => id },
    } as const;
    const once = PolicyOptionsSchema.parse(input);
    const twice = PolicyOptionsSchema.parse(once);
    assert.deepEqual(twice, once);
  });

  it('is a shape the task options schema can spread', () => {
    const Full = z.strictObject({ mode: z.string().optional(), ...PolicyOptionsShape });
    assert.equal(Full.parse({ mode: 'sfox', retry: 2 }).retry?.attempts, 2);
    assert.equal(Full.safeParse({ retires: 2 }).success, false);
  });

  const cases: [string, unknown, (string | number)[]][] = [
    ['negative timeout', { timeout: -1 }, ['timeout']],
    ['bad duration string', { timeout: '2 weeks' }, ['timeout']],
    ['unknown timeout key', { timeout: { ms: 5, cancle: 'abandon' } }, ['timeout', 'cancle']],
    ['bad cancel', { timeout: { ms: 5, cancel: 'never' } }, ['timeout', 'cancel']],
    ['zero attempts', { retry: 0 }, ['retry']],
    ['bad backoff', { retry: { attempts: 2, backoff: 'linear' } }, ['retry', 'backoff']],
    ['maxDelay below delay', { retry: { delay: 500, maxDelay: 100 } }, ['retry', 'maxDelay']],
    ['budget ratio', { retry: { budget: { ratio: -1 } } }, ['retry', 'budget', 'ratio']],
    ['retryOn type', { retry: { retryOn: 'ECONNRESET' } }, ['retry', 'retryOn']],
    [
      'breaker mixed',
      { breaker: { consecutive: 3, failureRate: 0.5 } },
      ['breaker', 'failureRate'],
    ],
    ['breaker empty', { breaker: {} }, ['breaker', 'consecutive']],
    [
      'breaker both windows',
      { breaker: { failureRate: 0.5, window: 1000, count: 10 } },
      ['breaker', 'count'],
    ],
    ['slow rate without ms', { breaker: { slowCallRate: 0.5 } }, ['breaker', 'slowCallMs']],
    ['failure rate > 1', { breaker: { failureRate: 1.5 } }, ['breaker', 'failureRate']],
    [
      'threshold above trials',
      { breaker: { consecutive: 2, halfOpenCalls: 2, successThreshold: 3 } },
      ['breaker', 'successThreshold'],
    ],
    [
      'minCalls above count',
      { breaker: { failureRate: 0.5, count: 5, minCalls: 10 } },
      ['breaker', 'minCalls'],
    ],
    ['bulkhead limit', { bulkhead: { limit: 0 } }, ['bulkhead', 'limit']],
    ['fallback object value', { fallback: { id: 1 } }, ['fallback', 'id']],
    ['fallback both', { fallback: { value: 1, handler: () => 2 } }, ['fallback', 'handler']],
    ['rate both kinds', { rateLimit: { perSecond: 5, limit: 3 } }, ['rateLimit', 'limit']],
    ['rate window missing', { rateLimit: { limit: 3 } }, ['rateLimit', 'window']],
    ['rate mode', { rateLimit: { perSecond: 5, mode: 'queue' } }, ['rateLimit', 'mode']],
    ['hedge percentile', { hedge: { after: 'p42' } }, ['hedge', 'after']],
    ['hedge max', { hedge: { after: 10, max: 0 } }, ['hedge', 'max']],
    ['cache ttl', { cache: { ttl: 0 } }, ['cache', 'ttl']],
    ['cache key', { cache: { ttl: 10, key: 'id' } }, ['cache', 'key']],
    ['cache l2', { cache: { ttl: 10, l2: {} } }, ['cache', 'l2']],
  ];
  for (const [name, options, path] of cases) {
    it(`names the path of an invalid option: ${name}`, () => {
      const err = configError(options);
      assert.deepEqual(err.path, path, err.message);
      assert.equal(err.code, 'FOX_CONFIG');
      assert.equal(err.taskId, 't#x');
    });
  }

  it('configure validates with the same schema, names the path, and changes nothing on error', () => {
    const c = chain({ retry: { attempts: 3 }, breaker: { consecutive: 5 } }, fakeClock());
    const retry = c.get('retry')!;
    const before = retry.config;
    assert.throws(
      () => retry.configure({ backoff: 'linear' }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'retry.backoff',
    );
    assert.equal(retry.config, before);
    retry.configure({ attempts: 7 });
    assert.equal(retry.config.attempts, 7);
    assert.equal(retry.config.backoff, before.backoff);
    retry.configure(2);
    assert.equal(retry.config.attempts, 2);

    const breaker = c.get('breaker')!;
    assert.throws(
      () => breaker.configure({ failureRate: 0.5 }),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'breaker.failureRate',
    );
    breaker.configure({ consecutive: undefined, failureRate: 0.5, count: 10 });
    assert.equal(breaker.config.consecutive, undefined);
    assert.equal(breaker.config.count, 10);
  });

  it('buildPolicies returns undefined when no policy is asked for', () => {
    assert.equal(buildPolicies({ mode: 'sfox' }, { taskId: 't', clock: fakeClock() }), undefined);
  });
});
