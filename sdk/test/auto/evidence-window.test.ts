import assert from 'node:assert/strict';
import type { LoopCounters } from '../../src/modes/auto/auto-state.js';
import { EvidenceWindow } from '../../src/modes/auto/evidence-window.js';
import { createFakeClock } from '../../src/testing/index.js';

describe('auto: evidence of a window of calls', () => {
  it('measures the window on the clock and event loop it is given', () => {
    const clock = createFakeClock({ now: 1_000 });
    const loop: LoopCounters = { idle: 500, active: 200 };
    const w = new EvidenceWindow({ clock, loop: () => ({ ...loop }) });
    for (let i = 0; i < 4; i++) {
      w.add({ syncMs: 5, wallMs: 5, fanOut: 1, busyMs: 5, longestMs: 5, segments: 1 });
    }
    // 100 ms pass; the task's sampled calls held the loop for 50 of them, all work 30 of 100.
    clock.tick(100);
    w.tally.ms += 50;
    loop.active += 30;
    loop.idle += 70;
    const e = w.close();
    assert.equal(e.loopShare, 0.5);
    assert.equal(e.loopBusy, 0.3);
    assert.deepEqual(e.eluAtStart, { idle: 500, active: 200 });
    // The next window starts where this one ended.
    w.add({ syncMs: 5, wallMs: 5, fanOut: 1, busyMs: 5, longestMs: 5, segments: 1 });
    clock.tick(40);
    w.tally.ms += 10;
    assert.equal(w.close().loopShare, 0.25);
  });

  it('counts no I/O wait for calls that ran in one segment, however late they settled', () => {
    // Pure compute with 8 calls in flight: each call's result waits behind the others' work.
    const w = new EvidenceWindow();
    for (let i = 0; i < 16; i++) {
      w.add({ syncMs: 2, wallMs: 16, fanOut: 8, busyMs: 2, longestMs: 2, segments: 1 });
    }
    const e = w.close();
    assert.equal(e.ioShare, 0);
    assert.equal(e.waitMs, 0);
    assert.equal(e.sampled, true);
  });

  it('counts the wait of calls that resumed after an await', () => {
    const w = new EvidenceWindow();
    for (let i = 0; i < 16; i++) {
      w.add({ syncMs: 0.1, wallMs: 20, fanOut: 32, busyMs: 0.4, longestMs: 0.2, segments: 6 });
    }
    const e = w.close();
    assert.ok(Math.abs(e.waitMs - 19.6) < 1e-9, String(e.waitMs));
    assert.ok(Math.abs(e.ioShare - 0.98) < 1e-9, String(e.ioShare));
    assert.equal(e.fanOut, 32);
  });

  it("estimates a call's wait on its own from what its siblings' loop time does not explain", () => {
    const w = new EvidenceWindow();
    for (let i = 0; i < 16; i++) {
      // 70 ms of wall time, 55 of which the loop spent on the task's calls: ≥ 15 ms of I/O.
      w.add({
        syncMs: 1,
        wallMs: 70,
        fanOut: 32,
        busyMs: 1,
        longestMs: 1,
        segments: 5,
        ownLoopMs: 55,
      });
    }
    const e = w.close();
    assert.ok(Math.abs(e.workerWaitShare - 15 / 16) < 1e-9, String(e.workerWaitShare));
    assert.ok(e.ioShare > 0.98);
  });

  it('uses the first segment when calls were not sampled, and says so', () => {
    const w = new EvidenceWindow();
    w.add({ syncMs: 1, wallMs: 5, fanOut: 1, busyMs: 1, longestMs: 1, segments: 2 });
    w.add({ syncMs: 1, wallMs: 5, fanOut: 1 });
    const e = w.close();
    assert.equal(e.sampled, false, 'one call of two was not sampled');
    assert.equal(e.busyMs, 1);
    assert.equal(e.loopShare, 0);
    assert.equal(e.waitMs, 4);
  });

  it('computes the loop share from segment time as it ran, over the window', async () => {
    const before = performance.now();
    const w = new EvidenceWindow();
    const start = performance.now();
    w.tally.ms += 5;
    while (performance.now() - start < 10);
    w.add({ syncMs: 1, wallMs: 1, fanOut: 1, busyMs: 1, longestMs: 1, segments: 1 });
    const e = w.close();
    const elapsed = performance.now() - before;
    assert.ok(e.loopShare <= 5 / 10 && e.loopShare >= 5 / elapsed - 1e-9, String(e.loopShare));
  });

  it('counts skipped (probed) calls toward its size, not its evidence', () => {
    const w = new EvidenceWindow();
    w.skip();
    w.add({ syncMs: 1, wallMs: 1, fanOut: 1 });
    w.add({ syncMs: 3, wallMs: 3, fanOut: 1 });
    assert.equal(w.calls, 3, 'the window closes at a count of calls, probes included');
    const e = w.close();
    assert.equal(e.calls, 2);
    assert.equal(e.syncMs, 2);
    assert.equal(e.unhooked, true, 'a probe elsewhere does not hook the window');
    assert.equal(w.calls, 0);
  });
});
