import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { FoxConfigError, FoxTimeoutError, fox } from '../../src/index.js';

// The policies as users meet them: options on fox(), the task's pipeline doing the wiring.
describe('policies through fox()', () => {
  it('retry + breaker + timeout + fallback run in the documented order', async () => {
    let calls = 0;
    const f = fox(
      {
        id: 'policies-test#flaky',
        retry: { attempts: 3, delay: 0 },
        breaker: { consecutive: 5 },
        timeout: '1s',
        fallback: -1,
      },
      async function flaky(x: number) {
        calls++;
        if (calls < 3) throw new Error('boom');
        return x * 2;
      },
    );
    assert.equal(await f(21), 42);
    assert.equal(calls, 3);
    const info = fox.tasks().find((t) => t.id === 'policies-test#flaky');
    assert.deepEqual(info?.policies, ['fallback', 'retry', 'breaker', 'timeout']);
  });

  it('a cooperative timeout rejects with FoxTimeoutError and aborts fox.context().signal', async () => {
    // The runtime's system clock reads the globals at call time, so installed fake timers apply.
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      let signal: AbortSignal | undefined;
      const f = fox({ id: 'policies-test#slow', timeout: 20 }, async function slow() {
        signal = fox.context()?.signal;
        await new Promise((r) => setTimeout(r, 60));
      });
      const outcome = f().then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await clock.tickAsync(20);
      assert.ok((await outcome) instanceof FoxTimeoutError);
      assert.equal(signal?.aborted, true);
      await clock.tickAsync(60);
    } finally {
      clock.uninstall();
    }
  });

  it('an invalid policy option fails at decoration with its path', () => {
    assert.throws(
      () => fox({ id: 'policies-test#bad', retry: { attempts: 0 } }, async () => 1),
      (e: unknown) => e instanceof FoxConfigError && e.path.join('.') === 'retry.attempts',
    );
  });
});
