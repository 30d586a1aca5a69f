import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_WINDOW,
  MIN_WINDOW,
  PER_CALL_OVERHEAD_MS,
  callsPerWorker,
  dispatchWindow,
  nextServiceMs,
  pickWorker,
  planDispatch,
  shouldGrow,
} from '../../src/modes/tfox/dispatch-plan.js';

/** The pool's dispatch arithmetic, by its invariants. */

const serviceMs = fc.double({ min: 1e-6, max: 1e4, noNaN: true });
const loads = fc.array(fc.nat({ max: 64 }), { minLength: 1, maxLength: 16 });

describe('tfox dispatch plan', () => {
  it('keeps the adaptive window within its bounds, shrinking as calls get longer', () => {
    fc.assert(
      fc.property(serviceMs, serviceMs, (a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        const wShort = callsPerWorker('auto', short);
        const wLong = callsPerWorker('auto', long);
        assert.ok(wShort >= MIN_WINDOW && wShort <= MAX_WINDOW);
        assert.ok(wLong <= wShort, `${long} ms → ${wLong}, ${short} ms → ${wShort}`);
      }),
    );
    assert.equal(callsPerWorker('auto', -1), MIN_WINDOW, 'nothing measured yet');
    assert.equal(callsPerWorker(5, 0.001), 5, 'a fixed setting is taken as it is');
  });

  it('sends adaptive messages of at most half the window, sized to a share of the queue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_WINDOW, max: MAX_WINDOW }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 64 }),
        (cap, queued, accepting) => {
          const { chunk, window, refillAt } = dispatchWindow('auto', cap, queued, accepting);
          assert.ok(chunk >= 1 && chunk <= Math.ceil(cap / 2), `chunk ${chunk} of cap ${cap}`);
          assert.ok(window >= chunk && window <= cap, `window ${window}`);
          assert.equal(refillAt, window - chunk);
          // Guided self-scheduling: two messages per worker cover the queue, not more.
          const workers = Math.max(1, accepting);
          assert.ok(2 * workers * chunk >= Math.min(queued, 2 * workers * Math.ceil(cap / 2)));
          assert.ok(chunk <= Math.ceil(queued / (2 * workers)));
        },
      ),
    );
  });

  it('takes a fixed concurrentTasksPerWorker as one message filling the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.nat(), fc.nat(), (n, queued, accepting) => {
        assert.deepEqual(dispatchWindow(n, n, queued, accepting), {
          chunk: n,
          window: n,
          refillAt: n - 1,
        });
      }),
    );
  });

  it('gives each call to a least-loaded worker, none beyond its window', () => {
    fc.assert(
      fc.property(loads, fc.integer({ min: 1, max: 64 }), fc.nat({ max: 500 }), (l, window, n) => {
        const plan = planDispatch(l, window, n);
        const room = l.reduce((sum, x) => sum + Math.max(0, window - x), 0);
        assert.equal(plan.length, Math.min(n, room), 'as many calls as there is room for');
        const now = l.slice();
        for (const k of plan) {
          assert.equal(now[k], Math.min(...now), `worker ${k} was not the least loaded`);
          now[k]!++;
        }
        for (let i = 0; i < l.length; i++) assert.ok(now[i]! <= Math.max(window, l[i]!));
      }),
    );
  });

  it('balances workers that start equal to within one call', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.nat({ max: 32 }),
        fc.integer({ min: 1, max: 64 }),
        fc.nat({ max: 500 }),
        (workers, load, window, n) => {
          const now = new Array<number>(workers).fill(load);
          for (const k of planDispatch(now, window, n)) now[k]!++;
          assert.ok(Math.max(...now) - Math.min(...now) <= 1, now.join(' '));
        },
      ),
    );
  });

  it('picks no worker when every one holds a full window', () => {
    assert.equal(pickWorker([4, 4], 4), -1);
    assert.equal(pickWorker([], 4), -1);
    assert.equal(pickWorker([4, 3, 3], 4), 1, 'the first of the least loaded');
  });

  it('grows only below maxThreads with calls left beyond what importing workers will take', () => {
    const base = {
      accepting: 1,
      maxThreads: 4,
      importing: 1,
      anyReady: true,
      queued: 10,
      window: 8,
    };
    assert.equal(shouldGrow(base), true, '10 queued > 1 importing × 8');
    assert.equal(shouldGrow({ ...base, queued: 8 }), false, 'the importing worker takes them');
    assert.equal(shouldGrow({ ...base, anyReady: false, queued: 1 }), true, 'no worker ready');
    fc.assert(
      fc.property(
        fc.record({
          accepting: fc.nat({ max: 64 }),
          maxThreads: fc.integer({ min: 1, max: 64 }),
          importing: fc.nat({ max: 64 }),
          anyReady: fc.boolean(),
          queued: fc.nat({ max: 10_000 }),
          window: fc.integer({ min: 1, max: MAX_WINDOW }),
        }),
        (s) => {
          if (s.accepting >= s.maxThreads || s.queued === 0) assert.equal(shouldGrow(s), false);
        },
      ),
    );
  });

  it('averages the service time per call, starting from the first measure', () => {
    assert.equal(nextServiceMs(-1, 10, 5), 2 + PER_CALL_OVERHEAD_MS);
    assert.equal(nextServiceMs(3, 10, 0), 3, 'a message with no calls begun changes nothing');
    fc.assert(
      fc.property(
        serviceMs,
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (prev, busy, calls) => {
          const per = busy / calls + PER_CALL_OVERHEAD_MS;
          const next = nextServiceMs(prev, busy, calls);
          assert.ok(next >= Math.min(prev, per) - 1e-9 && next <= Math.max(prev, per) + 1e-9);
        },
      ),
    );
  });
});
