import assert from 'node:assert/strict';
import type { Attempt } from '../../src/modes/strategy.js';
import type { Call } from '../../src/task/call.js';
import { chain, fakeClock, makeCall, settle } from './fixtures.js';

/** Attempt n (0-based) takes durations[n] ms and fails when fails[n]. Records each Call. */
function scripted(
  clock: ReturnType<typeof fakeClock>,
  durations: number[],
  fails: boolean[] = [],
): Attempt & { calls: Call[] } {
  const f = ((call: Call) => {
    const n = f.calls.length;
    f.calls.push(call);
    return new Promise((resolve, reject) =>
      clock.setTimeout(
        () => (fails[n] ? reject(new Error(`fail${n}`)) : resolve(`r${n}`)),
        durations[n]!,
      ),
    );
  }) as Attempt & { calls: Call[] };
  f.calls = [];
  return f;
}

describe('hedge policy', () => {
  it('starts another attempt after `after` ms; the first success wins and the loser is aborted', async () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 100 } }, clock);
    const hedges: unknown[] = [];
    c.events.hedge((e) => hedges.push(e));
    const a = scripted(clock, [500, 50]);
    const call = makeCall();
    const r = settle(c.wrap(a)(call));
    await clock.tick(99);
    assert.equal(a.calls.length, 1);
    await clock.tick(1);
    assert.equal(a.calls.length, 2);
    assert.notEqual(a.calls[1], call, 'the hedge runs on its own Call');
    await clock.tick(50);
    assert.equal(r.value(), 'r1');
    assert.equal(call.aborted, true, 'the primary lost and was aborted');
    assert.equal(a.calls[1]!.aborted, false);
    assert.deepEqual(hedges, [{ taskId: 'test#fn', hedge: 1, afterMs: 100 }]);
  });

  it('no hedge when the primary answers in time', async () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 100, max: 2 } }, clock);
    const a = scripted(clock, [80]);
    const r = settle(c.wrap(a)(makeCall()));
    await clock.tick(500);
    assert.equal(r.value(), 'r0');
    assert.equal(a.calls.length, 1);
  });

  it('launches up to `max` hedges; fails only when every attempt failed, with the first error', async () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 10, max: 2 } }, clock);
    const a = scripted(clock, [100, 100, 100], [true, true, true]);
    const r = settle(c.wrap(a)(makeCall()));
    await clock.tick(200);
    assert.equal(a.calls.length, 3);
    assert.equal((r.value() as Error).message, 'fail0');
  });

  it('a hedge can win after the primary failed', async () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 10 } }, clock);
    const a = scripted(clock, [30, 50], [true, false]);
    const r = settle(c.wrap(a)(makeCall()));
    await clock.tick(100);
    assert.equal(r.value(), 'r1');
  });

  it("'p95' uses the task's live latency percentile; no data, no hedging", async () => {
    const clock = fakeClock();
    const latency: { p95: number | undefined } = { p95: undefined };
    const asked: number[] = [];
    const c = chain({ hedge: { after: 'p95' } }, clock, {
      latencyPercentile: (p) => {
        asked.push(p);
        return latency.p95;
      },
    });
    const a = scripted(clock, [300, 300, 300]);
    const run = c.wrap(a);
    settle(run(makeCall()));
    await clock.tick(1000);
    assert.equal(a.calls.length, 1);
    latency.p95 = 40;
    await clock.tick(1000);
    settle(run(makeCall()));
    await clock.tick(40);
    assert.equal(a.calls.length, 3);
    assert.ok(asked.every((p) => p === 95));
  });

  it('each hedged attempt gets its own timeout (hedge wraps timeout)', async () => {
    const clock = fakeClock();
    const c = chain({ hedge: { after: 30 }, timeout: 50 }, clock);
    const a = scripted(clock, [1000, 40]);
    const r = settle(c.wrap(a)(makeCall()));
    await clock.tick(70);
    // Primary timed out at 50 (but the hedge was still in flight); hedge answered at 70.
    assert.equal(r.value(), 'r1');
  });
});
