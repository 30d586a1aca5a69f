import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  endSample,
  LoopSample,
  loopTrackingActive,
  runSampled,
  type LoopTally,
} from '../../src/modes/auto/loop-time.js';

/**
 * Computes for at least `ms` of both wall time and process CPU time: a segment counts as the
 * smaller of the two (a preempted thread's wall time is not compute), so a wall-clock spin
 * alone would be short on a busy machine.
 */
function spin(ms: number): void {
  const start = process.cpuUsage();
  const end = performance.now() + ms;
  for (;;) {
    const d = process.cpuUsage(start);
    if (d.user + d.system >= ms * 1000 && performance.now() >= end) return;
  }
}

/** Runs `fn` as a sampled call and resolves with its sample once it settled. */
async function sampled(fn: () => Promise<unknown>, tally?: LoopTally): Promise<LoopSample> {
  const sample = new LoopSample(tally);
  try {
    await runSampled(sample, fn);
  } finally {
    endSample(sample);
  }
  return sample;
}

describe('auto: whole-call loop time', function () {
  this.timeout(30_000);

  it('counts the compute after an await, not only before the first one', async () => {
    const s = await sampled(async () => {
      spin(1);
      await sleep(50);
      spin(4);
      await Promise.resolve();
      spin(2);
    });
    // The three spins are loop time; the 50 ms sleep is not (the bounds leave room for a
    // preempted thread on a busy machine).
    assert.ok(
      s.busyMs >= 6.5 && s.busyMs < 40,
      `busy ${s.busyMs} segs ${s.segments} longest ${s.longestMs}`,
    );
    assert.ok(s.longestMs >= 3.8 && s.longestMs < 40, `longest ${s.longestMs}`);
    assert.ok(s.segments >= 3, `segments ${s.segments}`);
  });

  it('does not count other work that runs while the call waits', async () => {
    const other = (async () => {
      await sleep(1);
      spin(20);
    })();
    const s = await sampled(async () => {
      await sleep(40);
    });
    await other;
    assert.ok(s.busyMs < 10, `busy ${s.busyMs}`);
  });

  it('adds each segment to the tally (wall time), and nothing after the call settled', async () => {
    const tally = { ms: 0 };
    let late: Promise<void> | undefined;
    const s = await sampled(async () => {
      spin(2);
      // Left behind: runs after the call settled, in its async context.
      late = sleep(5).then(() => spin(30));
    }, tally);
    await late;
    // The tally counts wall time, the sample compute: never less than it.
    assert.ok(tally.ms >= s.busyMs && tally.ms < 20, `tally ${tally.ms}, busy ${s.busyMs}`);
    assert.ok(s.busyMs >= 2 && s.busyMs < 20, `busy ${s.busyMs}`);
  });

  it('keeps async hooks on only while a sampled call is in flight', async () => {
    assert.equal(loopTrackingActive(), false);
    const a = new LoopSample();
    const b = new LoopSample();
    const pa = runSampled(a, () => sleep(5));
    const pb = runSampled(b, () => sleep(10));
    assert.equal(loopTrackingActive(), true);
    await pa;
    endSample(a);
    endSample(a); // idempotent: must not switch tracking off under b
    assert.equal(loopTrackingActive(), true);
    await pb;
    endSample(b);
    assert.equal(loopTrackingActive(), false);
  });
});
