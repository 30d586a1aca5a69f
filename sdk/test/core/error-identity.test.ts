import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import {
  ChaosExperimentError,
  ChaosInjectedError,
  ChaosKillSwitchError,
  FoxBrokenCircuitError,
  FoxConfigError,
  FoxError,
  FoxRejectedError,
  FoxTimeoutError,
  FoxValidationError,
  GuardianError,
  fox,
  hasFoxCode,
  isBrokenCircuitError,
  isFoxError,
  isGuardianError,
} from '@fox/sdk';
import { parseExperiment } from '@fox/sdk/chaos';
import { ChaosForge, type ChaosHost } from '../../src/chaos/forge.js';
import { chaosTargetOf } from '../../src/runtime/chaos-target.js';
import { runtime } from '../../src/runtime/runtime.js';
import { failIn } from '../tfox/fixtures/error-tasks.js';

/** Issue 18, item 13: what a caller can rely on about the errors Fox raises. */

const rejection = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );

describe('error identity', function () {
  this.timeout(30_000);
  afterEach(() => runtime().reset());

  describe('every error Fox raises is a FoxError with a stable code', () => {
    it('guardian errors are FoxErrors and keep their codes and guard', () => {
      const e = new GuardianError('GUARDIAN_SELF_APPROVAL', 'alice proposed p1');
      assert.ok(e instanceof FoxError && isFoxError(e));
      assert.ok(hasFoxCode(e, 'GUARDIAN_SELF_APPROVAL'));
      assert.equal(e.name, 'GuardianError');
      assert.ok(isGuardianError(e) && isGuardianError(e, 'GUARDIAN_SELF_APPROVAL'));
      assert.equal(isGuardianError(e, 'GUARDIAN_EXPIRED'), false);
      assert.equal(isGuardianError(new FoxTimeoutError(1)), false, 'other Fox errors are not');
    });

    it('chaos errors are FoxErrors with their FOX_CHAOS_* codes', () => {
      const killed = new ChaosKillSwitchError('db on fire');
      assert.ok(hasFoxCode(killed, 'FOX_CHAOS_KILLED') && killed instanceof FoxError);
      assert.equal(killed.reason, 'db on fire');
      const invalid = (() => {
        try {
          parseExperiment({ name: '' });
        } catch (e) {
          return e;
        }
      })();
      assert.ok(
        invalid instanceof ChaosExperimentError && hasFoxCode(invalid, 'FOX_CHAOS_INVALID'),
      );
      assert.ok(invalid.issues.length > 1);
    });

    it('an injected fault reaches the caller as a FoxError; an imitated foreign one keeps its code', async () => {
      const host: ChaosHost = {
        tasks: () => runtime().registry.all().map(chaosTargetOf),
        stats: () => runtime().stats(),
      };
      const forge = new ChaosForge({ host });
      try {
        const own = fox({ id: 'identity#own' }, async () => 'ok');
        const foreign = fox({ id: 'identity#foreign' }, async () => 'ok');
        const fault = (tasks: string[], f: object) => ({
          fault: { type: 'error', ...f },
          target: { tasks, rate: 1 },
        });
        await forge.start({
          name: 'identity',
          seed: 1,
          hypothesis: { probes: [] },
          method: [
            fault(['identity#own'], {}),
            fault(['identity#foreign'], { code: 'ECONNRESET', name: 'FetchError' }),
          ],
          baselineMs: 0,
          durationMs: 60_000,
          recoveryMs: 0,
        });
        await new Promise((r) => setTimeout(r, 10)); // injection starts on the next timer turn
        const e = await rejection(own());
        assert.ok(e instanceof ChaosInjectedError && hasFoxCode(e, 'FOX_CHAOS_INJECTED'));
        assert.equal(e.chaos, true);
        const f = (await rejection(foreign())) as Error & { code: string; chaos: boolean };
        assert.equal(isFoxError(f), false, 'an imitation of an error from outside Fox');
        assert.deepEqual([f.name, f.code, f.chaos], ['FetchError', 'ECONNRESET', true]);
      } finally {
        forge.dispose();
      }
    });
  });

  describe('guards work across copies of the sdk, realms and workers (by brand, not class)', () => {
    it('recognise the errors of another copy of the sdk module', async () => {
      // A second instance of the same module: what an ESM and a CJS build in one process are.
      const url = new URL('../../src/errors/errors.ts', import.meta.url);
      url.search = '?copy=2';
      const other = (await import(url.href)) as typeof import('../../src/errors/errors.js');
      assert.notEqual(other.FoxTimeoutError, FoxTimeoutError, 'two copies');
      const e = new other.FoxTimeoutError(5, 'identity#copy');
      assert.ok(isFoxError(e) && hasFoxCode(e, 'FOX_TIMEOUT'));
      assert.ok(e instanceof FoxTimeoutError && e instanceof FoxError);
      assert.equal(e instanceof FoxRejectedError, false);
      assert.ok(other.hasFoxCode(new FoxTimeoutError(1), 'FOX_TIMEOUT'), 'and the other way');
    });

    it('recognise a branded error from another realm', () => {
      const e: unknown = runInNewContext(`
        const proto = Object.create(Error.prototype, { [Symbol.for('fox.error')]: { value: true } });
        const err = new Error('timed out in a vm context');
        Object.setPrototypeOf(err, proto);
        err.code = 'FOX_TIMEOUT';
        err;`);
      assert.equal(e instanceof Error, false, 'another realm: not even instanceof Error');
      assert.ok(isFoxError(e) && hasFoxCode(e, 'FOX_TIMEOUT'));
      assert.equal(
        isFoxError(runInNewContext(`Object.assign(new Error('x'), { code: 'FOX_TIMEOUT' })`)),
        false,
      );
    });

    it("re-create a worker's Fox errors as their own classes, fields and all", async () => {
      fox.configure({ pool: { maxThreads: 1 } });
      const t = await rejection(failIn('timeout'));
      assert.ok(t instanceof FoxTimeoutError && hasFoxCode(t, 'FOX_TIMEOUT'));
      assert.deepEqual([t.ms, t.taskId, t.name], [250, 'inner#task', 'FoxTimeoutError']);
      assert.match(t.stack!, /error-tasks\.ts/, "the worker's stack");

      const v = await rejection(failIn('validation'));
      assert.ok(v instanceof FoxValidationError && hasFoxCode(v, 'FOX_VALIDATION'));
      assert.deepEqual(v.path, [0, 'qty']);
      assert.equal(v.issues.length, 2);

      const g = await rejection(failIn('guardian'));
      assert.ok(g instanceof GuardianError && isGuardianError(g, 'GUARDIAN_EXPIRED'));
    });
  });

  describe("a user's error thrown in a worker", () => {
    before(() => fox.configure({ pool: { maxThreads: 1 } }));

    it('keeps its class name, message, stack, fields and cause chain', async () => {
      const e = (await rejection(failIn('user'))) as TypeError & { orderId: string };
      assert.equal(isFoxError(e), false);
      assert.ok(e instanceof TypeError, 'its built-in base class');
      assert.deepEqual([e.name, e.message, e.orderId], ['PaymentError', 'card declined', 'o-17']);
      assert.match(e.stack!, /^PaymentError: card declined/);
      assert.match(e.stack!, /failIn .*error-tasks\.ts/, 'where it was thrown, in the worker');
      const cause = e.cause as Error;
      assert.ok(cause instanceof Error);
      assert.equal(cause.message, 'gateway said no');
      assert.ok(cause.cause instanceof RangeError);
      assert.equal((cause.cause as Error).message, 'amount');
      assert.equal((cause.cause as Error).cause, 'limit');
      assert.equal(Object.keys(e).includes('cause'), false, 'cause stays non-enumerable');
    });

    it('keeps an AggregateError with its errors; a deep cause chain is cut, not lost', async () => {
      const a = await rejection(failIn('aggregate'));
      assert.ok(a instanceof AggregateError);
      assert.deepEqual(
        a.errors.map((x: Error) => [x.constructor.name, x.message]),
        [
          ['TypeError', 'a'],
          ['Error', 'b'],
        ],
      );
      let d = (await rejection(failIn('deep'))) as Error | undefined;
      const levels: string[] = [];
      for (; d instanceof Error; d = d.cause as Error | undefined) levels.push(d.message);
      assert.equal(levels[0], 'level 20');
      assert.ok(levels.length >= 8 && levels.length < 21, `${levels.length} levels`);
      assert.equal(await rejection(failIn('string')), 'a plain string');
    });
  });

  describe('retries that end on an open circuit', () => {
    it("carry the call's last failure as the cause", async () => {
      const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      let calls = 0;
      const flaky = fox(
        { id: 'identity#flaky', retry: { attempts: 3, delay: 0 }, breaker: { consecutive: 1 } },
        async () => {
          calls++;
          throw reset;
        },
      );
      const e = await rejection(flaky());
      assert.equal(calls, 1, 'the breaker opened after the first failure');
      assert.ok(isBrokenCircuitError(e) && e instanceof FoxBrokenCircuitError);
      assert.equal(e.cause, reset);
      // A call that finds the circuit open made no attempt of its own: nothing to blame.
      const next = await rejection(flaky());
      assert.ok(isBrokenCircuitError(next));
      assert.equal(next.cause, undefined);
    });
  });

  describe('FoxValidationError', () => {
    it('exposes the path and lists every issue in its message', async () => {
      const Order = z.object({ id: z.string(), qty: z.number().int().positive() });
      const place = fox(
        { id: 'identity#place', input: [Order, z.number()] },
        async (_order: unknown, _n: unknown) => 1,
      );
      const e = await rejection(place({ id: 7, qty: -1 }, 'x'));
      assert.ok(e instanceof FoxValidationError);
      assert.equal(e.issues.length, 3);
      assert.deepEqual(e.path, e.issues[0]!.path);
      for (const issue of e.issues) assert.ok(e.message.includes(issue.message), e.message);
      assert.match(e.message, /\(3 issues\)/);
      assert.match(e.message, /at \[0\]\.id: .*; at \[0\]\.qty: .*; at \[1\]: /);
      assert.doesNotMatch(e.message, /more\)/);
    });
  });

  describe('FoxConfigError', () => {
    it('names the task of fox(options, fn)', () => {
      const err = (() => {
        try {
          fox({ mode: 'nope' } as never, async function lookup() {});
        } catch (e) {
          return e;
        }
      })();
      assert.ok(err instanceof FoxConfigError);
      assert.equal(err.taskId, 'test/core/error-identity.test.ts#lookup');
      assert.match(err.message, /task test\/core\/error-identity\.test\.ts#lookup/);
      assert.throws(
        () => fox({ id: 'orders#get', retry: { attempts: 0 } }, async () => 1),
        (e: unknown) => e instanceof FoxConfigError && e.taskId === 'orders#get',
      );
    });

    it('names the task of a decorated method', () => {
      const err = (() => {
        try {
          class Billing {
            @fox({ retry: { attempts: -1 } })
            async charge(): Promise<void> {}
          }
          return Billing;
        } catch (e) {
          return e;
        }
      })();
      assert.ok(err instanceof FoxConfigError, String(err));
      assert.equal(err.taskId, 'test/core/error-identity.test.ts#Billing.charge');
      assert.deepEqual(err.path, ['retry', 'attempts']);
    });
  });
});
