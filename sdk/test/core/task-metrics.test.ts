import assert from 'node:assert/strict';
import {
  TIMED_CALLS_PER_SECOND,
  TaskMetrics,
  errorCode,
} from '../../src/telemetry/task-metrics.js';

/** Drives `calls` calls through the metrics at `perSecond`, on a manual clock. */
function drive(perSecond: number, calls: number) {
  let now = 0;
  const m = new TaskMetrics(() => now);
  let timed = 0;
  for (let i = 0; i < calls; i++) {
    const t = m.shouldTime();
    m.start();
    now += 1000 / perSecond;
    m.success(t ? 1000 / perSecond : -1);
    if (t) timed++;
  }
  return { m, timed };
}

describe('TaskMetrics', () => {
  it('times every call of a task running at a moderate rate', () => {
    const { m, timed } = drive(1_000, 20_000);
    assert.equal(timed, 20_000);
    assert.equal(m.latency.count, 20_000);
    assert.equal(m.calls, 20_000);
  });

  it('samples latency of a hot task but still counts every call', () => {
    const rate = 2_000_000;
    const calls = 400_000;
    const { m, timed } = drive(rate, calls);
    assert.equal(m.calls, calls);
    assert.equal(m.successes, calls);
    assert.equal(m.inFlight, 0);
    // After the first rate window, about TIMED_CALLS_PER_SECOND timed calls per second remain.
    const seconds = calls / rate;
    assert.ok(timed < 4096 + TIMED_CALLS_PER_SECOND * seconds * 1.5, `timed ${timed}`);
    assert.ok(timed > TIMED_CALLS_PER_SECOND * seconds * 0.5, `timed ${timed}`);
    assert.equal(m.latency.count, timed);
  });

  it('returns to timing every call when the rate drops', () => {
    let now = 0;
    const m = new TaskMetrics(() => now);
    const run = (perSecond: number, n: number) => {
      let timed = 0;
      for (let i = 0; i < n; i++) {
        if (m.shouldTime()) timed++;
        m.start();
        now += 1000 / perSecond;
        m.success(-1);
      }
      return timed;
    };
    run(5_000_000, 50_000);
    run(100, 8192); // lets the next rate window see the slow rate
    assert.equal(run(100, 4096), 4096);
  });

  it('counts errors by code, falling back to the class name', () => {
    const m = new TaskMetrics(() => 0);
    m.start();
    m.failure(1, Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    m.start();
    m.failure(1, new TypeError('y'));
    m.refused('plain string');
    assert.deepEqual(Object.fromEntries(m.errorsByCode), {
      ECONNRESET: 1,
      TypeError: 1,
      string: 1,
    });
    assert.equal(m.errors, 3);
    assert.equal(m.calls, 3);
    assert.equal(errorCode(null), 'unknown');
  });

  it('tracks busy time: the time with calls in flight, overlapping calls counted once', () => {
    let now = 0;
    const m = new TaskMetrics(() => now);
    m.start();
    now = 5;
    m.success(5);
    assert.equal(m.busyTime(), 0, 'not tracked until asked');
    m.trackBusyTime();
    now = 10;
    // A burst of three overlapping calls from 10 to 30 ms, then a gap, then one of 4 ms.
    m.start();
    m.start();
    now = 12;
    m.start();
    now = 20;
    m.success(10);
    now = 25;
    assert.equal(m.busyTime(), 15, 'a busy period still open counts up to now');
    m.failure(13, new Error('x'));
    now = 30;
    m.success(20);
    now = 100;
    m.start();
    now = 104;
    m.success(4);
    assert.equal(m.busyTime(), 24);
    assert.equal(m.inFlight, 0);
  });

  it("ends busy periods at the calls' own clock readings, reading the clock only for untimed ones", () => {
    let reads = 0;
    const m = new TaskMetrics(() => {
      reads++;
      return 1000;
    });
    m.trackBusyTime();
    reads = 0;
    m.start(10);
    m.success(5, 15);
    m.start(20);
    m.failure(2, new Error('x'), 22);
    assert.equal(reads, 0, 'timed calls: no reads of its own');
    assert.equal(m.busyTime(), 7);
    m.start();
    m.success(-1);
    assert.equal(reads, 2, 'an untimed call: one read at each end');
  });
});
