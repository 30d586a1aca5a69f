import assert from 'node:assert/strict';
import {
  FoxAbortedError,
  FoxRejectedError,
  FoxShutdownError,
  FoxTimeoutError,
} from '../../src/errors/errors.js';
import { WfoxStrategy, feedbackOf } from '../../src/modes/wfox/index.js';
import type { Attempt } from '../../src/modes/strategy.js';
import { Call } from '../../src/task/call.js';
import { fakeClock, flush } from './fake-clock.js';

function call(priority = 0, signal?: AbortSignal): Call {
  const c = new Call('src/a.ts#f', undefined, [], undefined, signal);
  c.priority = priority;
  return c;
}

/** An attempt that settles when the test says so. */
function gate() {
  let open!: (v: unknown) => void;
  let fail!: (e: unknown) => void;
  const attempt: Attempt = () =>
    new Promise((resolve, reject) => {
      open = resolve;
      fail = reject;
    });
  return { attempt, open: (v: unknown) => open(v), fail: (e: unknown) => fail(e) };
}

describe('wfox WfoxStrategy', () => {
  it('is mode wfox and runs the attempt, reporting gauges from its limiter', async () => {
    const s = new WfoxStrategy({ algorithm: 'fixed', initial: 1 }, { clock: fakeClock() });
    assert.equal(s.mode, 'wfox');
    const g = gate();
    const first = s.run(call(), g.attempt);
    const second = s.run(call(), async () => 'second');
    await flush();
    assert.deepEqual(s.gauges(), { inFlight: 1, queued: 1, limit: 1 });
    g.open('first');
    assert.equal(await first, 'first');
    assert.equal(await second, 'second');
    assert.deepEqual(s.gauges(), { inFlight: 0, queued: 0, limit: 1 });
  });

  it('admits queued calls by call.priority', async () => {
    const s = new WfoxStrategy({ algorithm: 'fixed', initial: 1 }, { clock: fakeClock() });
    const g = gate();
    const order: number[] = [];
    const running = s.run(call(), g.attempt);
    await flush();
    const ps = [0, 9, 3].map((p) => s.run(call(p), async () => order.push(p)));
    g.open(undefined);
    await Promise.all([running, ...ps]);
    assert.deepEqual(order, [9, 3, 0]);
  });

  it('classifies outcomes: timeouts and rejections below are drops, other errors are ignored', () => {
    assert.equal(feedbackOf(new FoxTimeoutError(10)), 'dropped');
    assert.equal(feedbackOf(new FoxRejectedError('queue-full')), 'dropped');
    assert.equal(feedbackOf(new Error('boom')), 'ignore');
    assert.equal(feedbackOf(new FoxAbortedError('x')), 'ignore');
  });

  it('feeds drops to the algorithm and errors pass through unchanged', async () => {
    const clock = fakeClock();
    const s = new WfoxStrategy(
      { algorithm: 'aimd', initial: 10, aimd: { backoff: 0.5 } },
      { clock },
    );
    const boom = new Error('boom');
    await assert.rejects(
      s.run(call(), () => Promise.reject(boom)),
      (e) => e === boom,
    );
    assert.equal(s.limiter.limit, 10);
    await assert.rejects(
      s.run(call(), () => Promise.reject(new FoxTimeoutError(5))),
      FoxTimeoutError,
    );
    assert.equal(s.limiter.limit, 5);
    assert.equal(s.limiter.inFlight, 0);
  });

  it('releases the slot when the attempt throws synchronously', async () => {
    const s = new WfoxStrategy({ algorithm: 'fixed', initial: 1 }, { clock: fakeClock() });
    const attempt: Attempt = () => {
      throw new Error('sync');
    };
    await assert.rejects(s.run(call(), attempt), /sync/);
    assert.equal(s.limiter.inFlight, 0);
  });

  it("rejects at once when the caller's signal is already aborted", async () => {
    const s = new WfoxStrategy({}, { clock: fakeClock() });
    let ran = false;
    await assert.rejects(
      s.run(call(0, AbortSignal.abort('gone')), async () => (ran = true)),
      FoxAbortedError,
    );
    assert.equal(ran, false);
  });

  it('close() rejects queued calls with FoxShutdownError', async () => {
    const s = new WfoxStrategy({ algorithm: 'fixed', initial: 1 }, { clock: fakeClock() });
    const g = gate();
    const running = s.run(call(), g.attempt);
    const queued = s.run(call(), async () => 'never');
    await s.close();
    await assert.rejects(queued, FoxShutdownError);
    g.open('done');
    assert.equal(await running, 'done');
  });
});
