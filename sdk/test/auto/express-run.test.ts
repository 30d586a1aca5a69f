import assert from 'node:assert/strict';
import type { CallTiming } from '../../src/modes/auto/evidence-window.js';
import { callsNeeded, EXPRESS_MIN_STRENGTH, ExpressRun } from '../../src/modes/auto/express-run.js';

/** A sampled call that held the loop `ms` in one go, one at a time unless told. */
const call = (ms: number, more: Partial<CallTiming> = {}): CallTiming => ({
  syncMs: ms,
  wallMs: ms,
  fanOut: 1,
  busyMs: ms,
  longestMs: ms,
  segments: 1,
  ...more,
});

/** Calls added until the run decides (undefined: it did not). */
function decidesAfter(run: ExpressRun, calls: CallTiming[]): number | undefined {
  for (let i = 0; i < calls.length; i++) if (run.add(calls[i]!)) return i + 1;
  return undefined;
}

describe('auto: runs of strong calls', () => {
  it('needs fewer calls the stronger they are, and none below the minimum strength', () => {
    assert.equal(callsNeeded(EXPRESS_MIN_STRENGTH), 8);
    assert.equal(callsNeeded(10), 6);
    assert.equal(callsNeeded(20), 4);
    assert.equal(callsNeeded(100), 3);
    assert.equal(callsNeeded(1e6), 3, 'never fewer than three');
    assert.equal(callsNeeded(EXPRESS_MIN_STRENGTH - 0.01), Infinity);
    assert.equal(callsNeeded(NaN), Infinity);
    for (let m = EXPRESS_MIN_STRENGTH; m < 1000; m *= 1.1) {
      assert.ok(callsNeeded(m * 1.1) <= callsNeeded(m), `monotone at ${m}`);
    }
  });

  it('is set by its weakest call', () => {
    const run = new ExpressRun(0.5);
    // 10 ms calls (20×) alone decide after 4; with a 6 ms one (12×) among them, after 5.
    assert.equal(decidesAfter(run, [call(10), call(10), call(10), call(10)]), 4);
    assert.equal(decidesAfter(run, [call(10), call(6), call(10), call(10), call(10)]), 5);
  });

  it('starts again at a call that is not strong, or more than 2× off the others', () => {
    const run = new ExpressRun(0.5);
    assert.equal(decidesAfter(run, [call(50), call(50), call(0.2), call(50), call(50)]), undefined);
    assert.equal(run.length, 2);
    run.reset();
    // 50, 50, then 120: a new run from 120 on.
    assert.equal(decidesAfter(run, [call(50), call(50), call(120), call(110)]), undefined);
    assert.equal(run.length, 2);
  });

  it('counts calls with many in flight only if they never waited', () => {
    const run = new ExpressRun(0.5);
    const waited = call(50, { fanOut: 8, segments: 3, wallMs: 400 });
    assert.equal(run.strong(waited), false);
    assert.equal(run.strong({ ...waited, segments: 1 }), true);
    assert.equal(run.strong({ ...waited, fanOut: 1 }), true, 'alone, its waits are its own');
    assert.equal(run.strong({ syncMs: 50, wallMs: 50, fanOut: 1 }), false, 'not sampled');
  });

  it('reports its evidence and the earliest start among its calls', () => {
    const run = new ExpressRun(0.5);
    const d = [
      call(10, { fanOut: 8, started: { calls: 5, busyMs: 100 } }),
      call(11, { fanOut: 8, started: { calls: 3, busyMs: 60 } }),
      call(10.5, { fanOut: 8, started: { calls: 4, busyMs: 80 } }),
    ]
      .map((c) => run.add(c))
      .at(-1);
    assert.equal(d, undefined, '3 calls at 20× are not yet 4');
    const decision = run.add(call(12, { fanOut: 8, started: { calls: 9, busyMs: 190 } }))!;
    assert.deepEqual(decision.since, { calls: 3, busyMs: 60 });
    assert.equal(decision.strength, 20);
    assert.equal(decision.evidence.calls, 4);
    assert.equal(decision.evidence.fanOut, 8);
    assert.equal(decision.evidence.longestMs, 10.75);
    assert.equal(run.length, 0, 'a decided run starts afresh');
  });
});
