import assert from 'node:assert/strict';
import { FoxTimeoutError } from '../../src/errors/errors.js';
import type { Call } from '../../src/task/call.js';
import { chain, deferred, fakeClock, makeCall, settle } from './fixtures.js';

describe('timeout policy', () => {
  it('rejects with FoxTimeoutError when the attempt outlives ms, and fires a timeout event', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: 100 }, clock);
    const events: unknown[] = [];
    c.events.timeout((e) => events.push(e));
    const never = deferred();
    const r = settle(c.wrap(() => never.promise)(makeCall()));
    await clock.tick(99);
    assert.equal(r.state(), 'pending');
    await clock.tick(1);
    assert.equal(r.state(), 'error');
    assert.ok(r.value() instanceof FoxTimeoutError);
    assert.equal((r.value() as FoxTimeoutError).ms, 100);
    assert.deepEqual(events, [{ taskId: 'test#fn', ms: 100, cancel: 'cooperative', attempt: 1 }]);
  });

  it('passes results and errors through before the deadline', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: '1s' }, clock);
    assert.equal(await c.wrap(async () => 42)(makeCall()), 42);
    await assert.rejects(
      c.wrap(async () => {
        throw new Error('own');
      })(makeCall()),
      /own/,
    );
    assert.equal(c.get('timeout')!.pending, 0);
  });

  it('cooperative: aborts the call signal with the timeout error', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: { ms: 50, cancel: 'cooperative' } }, clock);
    let seen: AbortSignal | undefined;
    const r = settle(
      c.wrap((call: Call) => {
        seen = call.signal;
        return new Promise(() => {});
      })(makeCall()),
    );
    await clock.tick(50);
    assert.equal(r.state(), 'error');
    assert.equal(seen!.aborted, true);
    assert.ok(seen!.reason instanceof FoxTimeoutError);
  });

  it('abandon: rejects but leaves the signal alone', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: { ms: 50, cancel: 'abandon' } }, clock);
    let seen: AbortSignal | undefined;
    const r = settle(
      c.wrap((call: Call) => {
        seen = call.signal;
        return new Promise(() => {});
      })(makeCall()),
    );
    await clock.tick(60);
    assert.equal(r.state(), 'error');
    assert.equal(seen!.aborted, false);
  });

  it('allocates no AbortController when the function never reads the signal', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: 50 }, clock);
    const call = makeCall();
    await c.wrap(async () => 1)(call);
    assert.equal((call as unknown as { controller: unknown }).controller, undefined);
  });

  it('uses at most one timer for many concurrent calls', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: 1000 }, clock);
    const run = c.wrap(() => new Promise((r) => clock.setTimeout(() => r(1), 10)));
    const base = clock.timers();
    const all = Array.from({ length: 100 }, () => run(makeCall()));
    // 100 attempt timers of the test's own + 1 deadline timer.
    assert.equal(clock.timers() - base, 101);
    await clock.tick(10);
    assert.deepEqual(await Promise.all(all), Array(100).fill(1));
  });

  it('a run-time change of ms applies to the next call', async () => {
    const clock = fakeClock();
    const c = chain({ timeout: 1000 }, clock);
    const run = c.wrap(() => new Promise(() => {}));
    const slow = settle(run(makeCall()));
    c.get('timeout')!.configure({ ms: 10 });
    const fast = settle(run(makeCall()));
    await clock.tick(10);
    assert.equal(fast.state(), 'error');
    assert.equal(slow.state(), 'pending');
    await clock.tick(990);
    assert.equal(slow.state(), 'error');
  });
});
