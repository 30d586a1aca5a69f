import assert from 'node:assert/strict';
import {
  FoxAbortedError,
  FoxConfigError,
  FoxRejectedError,
  FoxShutdownError,
} from '../../src/errors/errors.js';
import {
  AdaptiveLimiter,
  LimiterToken,
  type LimitChangeEvent,
  type LimiterOptions,
  type LimiterRejectEvent,
} from '../../src/modes/wfox/index.js';
import { fakeClock, flush, type TestClock } from './fake-clock.js';

function fixed(limit: number, extra: LimiterOptions = {}, clock: TestClock = fakeClock()) {
  return new AdaptiveLimiter(
    { algorithm: 'fixed', initial: limit, ...extra },
    { clock, random: () => 0.5 },
  );
}

function sync(t: LimiterToken | Promise<LimiterToken>): LimiterToken {
  assert.ok(t instanceof LimiterToken, 'expected immediate admission');
  return t;
}

/** Acquires and records the order of admission under `label`. */
function queue(
  l: AdaptiveLimiter,
  order: string[],
  label: string,
  priority = 0,
  signal?: AbortSignal,
) {
  const t = l.acquire(priority, signal);
  assert.ok(t instanceof Promise, `${label} should queue`);
  return t.then((token) => {
    order.push(label);
    return token;
  });
}

const rejectedWith = (reason: 'queue-full' | 'queue-timeout') => (err: unknown) =>
  err instanceof FoxRejectedError && err.reason === reason;

describe('wfox AdaptiveLimiter', () => {
  it('admits synchronously (no promise) while under the limit', () => {
    const l = fixed(2);
    const a = sync(l.acquire());
    sync(l.acquire());
    assert.equal(l.inFlight, 2);
    assert.ok(l.acquire() instanceof Promise);
    assert.equal(l.queued, 1);
    a.release('success');
    assert.equal(l.queued, 0);
    assert.equal(l.inFlight, 2);
  });

  it('serves higher priority first and FIFO within a priority', async () => {
    const l = fixed(1);
    const first = sync(l.acquire());
    const order: string[] = [];
    const ps = [
      queue(l, order, 'low-1', -1),
      queue(l, order, 'mid-1', 0),
      queue(l, order, 'high-1', 5),
      queue(l, order, 'mid-2', 0),
      queue(l, order, 'high-2', 5),
      queue(l, order, 'low-2', -1),
    ];
    const done = Promise.all(ps.map((p) => p.then((t) => t.release('success'))));
    first.release('success');
    await done;
    assert.deepEqual(order, ['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2']);
  });

  it('a released slot goes to the queue, not to the next arrival', async () => {
    const l = fixed(1);
    const a = sync(l.acquire());
    const order: string[] = [];
    const q = queue(l, order, 'queued');
    a.release('ignore');
    assert.equal(l.inFlight, 1);
    assert.equal(l.queued, 0);
    const late = l.acquire();
    assert.ok(late instanceof Promise);
    (await q).release('ignore');
    (await late).release('ignore');
    assert.deepEqual(order, ['queued']);
  });

  it('rejects with queue-full when the queue is at its bound, and fires onReject', async () => {
    const l = fixed(1, { queue: 1 });
    const events: LimiterRejectEvent[] = [];
    l.onReject((e) => events.push(e));
    sync(l.acquire());
    const waiting = l.acquire();
    await assert.rejects(Promise.resolve(l.acquire(3)), rejectedWith('queue-full'));
    assert.deepEqual(events, [{ reason: 'queue-full', priority: 3, queued: 1 }]);
    assert.equal(l.queued, 1);
    l.close();
    await assert.rejects(Promise.resolve(waiting), FoxShutdownError);
  });

  it('queue: 0 rejects at once when at the limit', async () => {
    const l = fixed(1, { queue: 0 });
    sync(l.acquire());
    await assert.rejects(Promise.resolve(l.acquire()), rejectedWith('queue-full'));
  });

  it('rejects with queue-timeout after queueTimeout of fake time, and the next still runs', async () => {
    const clock = fakeClock();
    const l = fixed(1, { queueTimeout: 100 }, clock);
    const a = sync(l.acquire());
    const events: LimiterRejectEvent[] = [];
    l.onReject((e) => events.push(e));
    const timedOut = Promise.resolve(l.acquire());
    clock.tick(50);
    const later = Promise.resolve(l.acquire());
    clock.tick(50);
    await assert.rejects(timedOut, rejectedWith('queue-timeout'));
    assert.equal(events[0]?.reason, 'queue-timeout');
    assert.equal(l.queued, 1);
    a.release('success');
    const token = await later;
    assert.equal(l.inFlight, 1);
    clock.tick(1000); // its timer was cleared on admission
    token.release('success');
    assert.equal(events.length, 1);
  });

  describe('cancellation', () => {
    it('an already-aborted signal rejects at once, even with capacity free', async () => {
      const l = fixed(5);
      const reason = new Error('user left');
      const t = l.acquire(0, AbortSignal.abort(reason));
      assert.ok(t instanceof Promise);
      await assert.rejects(
        t,
        (err: unknown) => err instanceof FoxAbortedError && err.cause === reason,
      );
      assert.equal(l.inFlight, 0);
    });

    it('aborting a queued call removes it; later calls are still admitted', async () => {
      const l = fixed(1);
      const running = sync(l.acquire());
      const order: string[] = [];
      const ctrl = new AbortController();
      const aborted = queue(l, order, 'aborted', 0, ctrl.signal);
      const later = queue(l, order, 'later');
      const last = queue(l, order, 'last');
      ctrl.abort('stop');
      await assert.rejects(
        aborted,
        (err: unknown) => err instanceof FoxAbortedError && err.cause === 'stop',
      );
      assert.equal(l.queued, 2);
      running.release('success');
      (await later).release('success');
      (await last).release('success');
      assert.deepEqual(order, ['later', 'last']);
      assert.equal(l.inFlight, 0);
    });

    it('aborting after admission does nothing to the limiter', async () => {
      const l = fixed(1);
      const a = sync(l.acquire());
      const ctrl = new AbortController();
      const p = l.acquire(0, ctrl.signal) as Promise<LimiterToken>;
      a.release('success');
      const token = await p;
      ctrl.abort();
      assert.equal(l.inFlight, 1);
      token.release('success');
      assert.equal(l.inFlight, 0);
    });
  });

  it('close() rejects queued calls and later acquires with FoxShutdownError', async () => {
    const l = fixed(1);
    const a = sync(l.acquire());
    const waiting = l.acquire();
    l.close();
    await assert.rejects(Promise.resolve(waiting), FoxShutdownError);
    await assert.rejects(Promise.resolve(l.acquire()), FoxShutdownError);
    a.release('success'); // releasing after close is harmless
    assert.equal(l.inFlight, 0);
  });

  it('release is idempotent', () => {
    const l = fixed(2);
    const a = sync(l.acquire());
    a.release('success');
    a.release('success');
    assert.equal(l.inFlight, 0);
  });

  describe('feedback', () => {
    it('records RTT from admission to release; dropped backs off, ignore records nothing', () => {
      const clock = fakeClock();
      const l = new AdaptiveLimiter(
        { algorithm: 'aimd', initial: 10, aimd: { timeout: 50, backoff: 0.5 } },
        { clock },
      );
      const changes: LimitChangeEvent[] = [];
      l.onLimitChange((e) => changes.push(e));
      sync(l.acquire()).release('ignore');
      assert.equal(l.limit, 10);
      const slow = sync(l.acquire());
      clock.tick(60); // slower than aimd.timeout: counts as a drop
      slow.release('success');
      assert.equal(l.limit, 5);
      assert.deepEqual(changes, [{ previous: 10, limit: 5 }]);
      clock.tick(1);
      sync(l.acquire()).release('dropped');
      assert.equal(l.limit, 2);
    });
  });

  describe('configure', () => {
    it('initial resets the limit and admits queued calls', async () => {
      const l = fixed(1);
      sync(l.acquire());
      const order: string[] = [];
      const p = queue(l, order, 'q');
      const changes: LimitChangeEvent[] = [];
      l.onLimitChange((e) => changes.push(e));
      l.configure({ initial: 3 });
      assert.equal(l.limit, 3);
      await p;
      assert.deepEqual(changes, [{ previous: 1, limit: 3 }]);
      assert.equal(l.inFlight, 2);
    });

    it('a smaller max clamps the limit; a smaller queue evicts the newest lowest-priority waiters', async () => {
      const l = fixed(4, { queue: 10 });
      for (let i = 0; i < 4; i++) sync(l.acquire());
      const high = l.acquire(1);
      const low1 = l.acquire(0);
      const low2 = l.acquire(0);
      l.configure({ max: 2, queue: 1 });
      assert.equal(l.limit, 2);
      assert.equal(l.queued, 1);
      await assert.rejects(Promise.resolve(low2), rejectedWith('queue-full'));
      await assert.rejects(Promise.resolve(low1), rejectedWith('queue-full'));
      l.close();
      await assert.rejects(Promise.resolve(high), FoxShutdownError);
    });

    it('merges nested algorithm options one level deep', () => {
      const l = new AdaptiveLimiter({ gradient: { tolerance: 2 } }, { clock: fakeClock() });
      l.configure({ gradient: { smoothing: 0.2 } });
      assert.equal(l.config.gradient.tolerance, 2);
      assert.equal(l.config.gradient.smoothing, 0.2);
    });

    it('switches algorithm at run time, keeping the current limit', () => {
      const l = fixed(7);
      l.configure({ algorithm: 'aimd' });
      assert.equal(l.limitAlgorithm.name, 'aimd');
      assert.equal(l.limit, 7);
    });

    it('rejects bad input with FoxConfigError naming the path, changing nothing', () => {
      const l = fixed(5, { queue: 3 });
      const before = structuredClone(l.config);
      const bad: [LimiterOptions, string[]][] = [
        [{ max: 2, min: 3 }, ['limiter', 'min']],
        [{ initial: 9999, max: 100 }, ['limiter', 'initial']],
        [{ gradient: { tolerance: -1 } }, ['limiter', 'gradient', 'tolerance']],
        [{ queue: 1.5 }, ['limiter', 'queue']],
        [{ nope: 1 } as LimiterOptions, ['limiter', 'nope']],
        [null as unknown as LimiterOptions, ['limiter']],
      ];
      for (const [input, path] of bad) {
        assert.throws(
          () => l.configure(input),
          (err: unknown) => err instanceof FoxConfigError && err.path.join('.') === path.join('.'),
        );
      }
      assert.deepEqual(l.config, before);
      assert.equal(l.limit, 5);
    });
  });

  it('starts the gradient algorithm with a pinned probe, then restores the limit', () => {
    const clock = fakeClock();
    const l = new AdaptiveLimiter({ initial: 20 }, { clock, random: () => 0 });
    assert.equal(l.limit, 3);
    for (let i = 0; i < 25; i++) {
      const t = sync(l.acquire());
      clock.tick(10);
      t.release('success');
    }
    assert.equal(l.limit, 20);
  });

  it('a probe whose calls all fail ends at its deadline instead of pinning the limit forever', () => {
    const clock = fakeClock();
    const l = new AdaptiveLimiter({ initial: 20 }, { clock, random: () => 0 });
    for (let i = 0; i < 60; i++) {
      const t = sync(l.acquire());
      clock.tick(100);
      t.release('ignore');
    }
    assert.equal(l.limit, 20);
  });

  it("a queued call's token records the in-flight count at its admission", async () => {
    const l = fixed(1);
    const a = sync(l.acquire());
    const p = l.acquire() as Promise<LimiterToken>;
    a.release('success');
    await flush();
    const t = await p;
    assert.equal(t.inFlightAtAdmission, 1);
  });
});
