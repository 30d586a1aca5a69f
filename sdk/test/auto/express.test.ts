import assert from 'node:assert/strict';
import { FOX_TASK, setProposalHandler } from '@fox/sdk';
import { autoControllerOf } from '../../src/modes/auto/index.js';
import type { Task } from '../../src/task/task.js';
import { callUntilProposal, fakeTask, installFakeTime, type FakeTime } from './fake-time.js';

/**
 * How many calls auto needs before it proposes tfox, by the strength of the evidence. The
 * calls run on fake wall and CPU clocks (fake-time.ts): a "50 ms" call takes no real time and
 * measures exactly 50 ms, so the counts do not depend on the machine.
 */
describe('auto: time to promote, by the strength of the evidence', () => {
  let time: FakeTime;
  beforeEach(() => {
    time = installFakeTime();
  });
  afterEach(() => time.uninstall());

  /** Calls started when tfox was proposed (undefined: not within `max`). */
  async function callsToTfox(
    ms: (i: number) => number,
    { max = 600, fanOut = 1, late = false } = {},
  ): Promise<number | undefined> {
    const f = fakeTask(time);
    const seen = await callUntilProposal((i) => f(ms(i), late), max, fanOut);
    if (seen.proposals.length === 0) return undefined;
    assert.equal(seen.proposals[0]!.to, 'tfox');
    return seen.at[0];
  }

  it('proposes calls that hold the loop ≥ 20× the threshold within 5 calls', async () => {
    assert.equal(await callsToTfox(() => 50), 3, '50 ms (100×)');
    assert.equal(await callsToTfox(() => 10), 4, '10 ms (20×)');
  });

  it('decides 5 ms calls (10×) in 6 calls, not ~80', async () => {
    assert.equal(await callsToTfox(() => 5), 6);
  });

  it('with 8 callers, decides within the first calls that were all started at once', async () => {
    // The 8 first calls start before any ends; the proposal comes on the 3rd (50 ms) or 6th
    // (5 ms) to end, each end letting its caller start one more.
    assert.equal(await callsToTfox(() => 50, { fanOut: 8 }), 8 + 2);
    assert.equal(await callsToTfox(() => 5, { fanOut: 8 }), 8 + 5);
  });

  it('decides compute that runs after an await as fast, one call at a time', async () => {
    const f = fakeTask(time);
    const seen = await callUntilProposal(() => f(50, true), 100);
    assert.equal(seen.at[0], 3);
    const e = seen.proposals[0]!.evidence;
    assert.ok(e.syncMs! < 0.5 && e.longestMs! >= 50, JSON.stringify(e));
  });

  it('decides noisy 5 ms calls within twice the calls of steady ones', async () => {
    // 5 ms × a deterministic jitter of 0.8–1.25 (LCG): every call is ≥ 8× the threshold.
    let x = 12345;
    const jitter = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return 0.8 * (1.25 / 0.8) ** (x / 2 ** 31);
    };
    const calls = await callsToTfox(() => 5 * jitter());
    assert.ok(calls !== undefined && calls <= 12, String(calls));
  });

  it('never promotes light calls, or one or two long calls among them', async () => {
    assert.equal(await callsToTfox(() => 0.3, { max: 1000 }), undefined, '0.3 ms calls');
    assert.equal(
      await callsToTfox((i) => (i === 20 ? 100 : 0.02)),
      undefined,
      'one 100 ms call among 0.02 ms ones',
    );
    assert.equal(
      await callsToTfox((i) => (i % 40 < 2 ? 100 : 0.02)),
      undefined,
      'two 100 ms calls in a row every 40',
    );
  });

  it('does not promote a cold start that settles light', async () => {
    // A cache filling or JIT warming: 60, 30, 15, … ms, then 0.3 ms a call.
    const cold = [60, 30, 15, 8, 4, 2, 1];
    assert.equal(await callsToTfox((i) => cold[i] ?? 0.3), undefined);
  });

  it('leaves weaker evidence to the windows, as before', async () => {
    // Below 8× the threshold nothing changed: an unsampled baseline of ≥ 3 windows and ≥ 250
    // ms of calls, then two sampled windows that agree (the counts the old controller gave).
    const windows = (ms: number) => Math.max(3, Math.ceil(250 / ms / 16)) + 2;
    assert.equal(await callsToTfox(() => 0.6, { max: 1000 }), windows(0.6) * 16, '0.6 ms: 464');
    assert.equal(await callsToTfox(() => 2), windows(2) * 16, '2 ms: 160');
    // With many in flight, calls that wait are judged over windows of their neighbours too.
    const waiting = await callsToTfox(() => 50, { fanOut: 8, late: true, max: 1000 });
    assert.ok(waiting !== undefined && waiting > 64, String(waiting));
  });

  it('acts on a workload that turns heavy while only watched, within 5 calls', async () => {
    const f = fakeTask(time);
    const task = (f as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    const c = autoControllerOf(task)!;
    for (let i = 0; i < 200 && c.phase !== 'watching'; i++) await f(0.02);
    assert.equal(c.phase, 'watching');
    const seen = await callUntilProposal(() => f(50), 100);
    assert.equal(seen.at[0], 4, 'one watched call, then 3 sampled ones');
  });

  it('probes rarely when long calls turn out not to count (they wait, many in flight)', async () => {
    const f = fakeTask(time);
    const c = autoControllerOf((f as unknown as { [FOX_TASK]: Task })[FOX_TASK])!;
    let probes = 0;
    const record = c.record.bind(c);
    c.record = (t) => {
      if (t.probe) probes++;
      record(t);
    };
    // 6 ms before the first await, then a wait, 8 in flight: each call starts a probe's worth
    // of evidence, but with many in flight a call that waits is judged by the windows.
    const seen = await callUntilProposal(() => f(6, false, true), 600, 8);
    const calls = seen.at[0] ?? 600;
    // Probes in windows 0, 1, 3, 7 at most before the windows decide (~150 calls); without
    // backing off, up to 8 probed calls in every window (71 here).
    assert.ok(probes <= 4 * 8, `${probes} probed of ${calls} calls`);
  });

  it('proposes once when the guardian denies, and holds the change off', async () => {
    const f = fakeTask(time);
    const denied: string[] = [];
    const hook = setProposalHandler((p) => {
      denied.push(p.to);
      return 'denied';
    });
    try {
      for (let i = 0; i < 300; i++) await f(50);
    } finally {
      hook.dispose();
    }
    assert.deepEqual(denied, ['tfox']);
  });
});
