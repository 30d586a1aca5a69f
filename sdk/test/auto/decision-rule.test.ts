import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_THRESHOLDS as T,
  targetMode,
  type DecisionContext,
  type DecisionEvidence,
} from '../../src/modes/auto/decision-rule.js';
import type { ConcreteMode } from '../../src/protocol/modes.js';

const ms = fc.double({ min: 0, max: 200, noNaN: true });
const share = fc.double({ min: 0, max: 1, noNaN: true });
const evidence: fc.Arbitrary<DecisionEvidence> = fc
  .record({
    syncMs: ms,
    longestMs: ms,
    wallMs: ms,
    ioShare: share,
    fanOut: fc.integer({ min: 1, max: 500 }),
    workerWaitShare: share,
    loopBusy: share,
  })
  .map((e) => ({
    ...e,
    // Consistent evidence: the longest segment is at least the first one, the wait is the
    // I/O share of the wall time.
    longestMs: Math.max(e.longestMs, e.syncMs),
    waitMs: e.wallMs * e.ioShare,
  }));
const mode = fc.constantFrom<ConcreteMode>('sfox', 'wfox', 'tfox', 'mfox');
const context: fc.Arbitrary<DecisionContext> = fc.record({
  current: mode,
  ineligible: fc.boolean(),
  promotedBy: fc.constantFrom('first-segment' as const, 'later-segment' as const),
});

const light: DecisionEvidence = {
  syncMs: 0.01,
  longestMs: 0.01,
  wallMs: 0.02,
  ioShare: 0.5,
  waitMs: 0.01,
  fanOut: 1,
  workerWaitShare: 0,
  loopBusy: 0.2,
};
const at = (
  current: ConcreteMode,
  promotedBy: DecisionContext['promotedBy'] = 'first-segment',
) => ({
  current,
  ineligible: false,
  promotedBy,
});

describe('auto: decision rule', () => {
  it('never picks tfox for a task that cannot run in a worker', () => {
    fc.assert(
      fc.property(evidence, context, (e, ctx) => {
        assert.notEqual(targetMode(e, T, { ...ctx, ineligible: true }), 'tfox');
      }),
    );
  });

  it('only ever picks sfox, tfox or mfox (wfox is left to the user)', () => {
    fc.assert(
      fc.property(evidence, context, (e, ctx) => {
        assert.ok(['sfox', 'tfox', 'mfox'].includes(targetMode(e, T, ctx)));
      }),
    );
  });

  it('keeps a mode for evidence inside its hysteresis band', () => {
    fc.assert(
      fc.property(evidence, (e) => {
        // In tfox: anything that still blocks at least demoteMs stays, below promoteMs too.
        if (e.syncMs >= T.demoteMs) assert.equal(targetMode(e, T, at('tfox')), 'tfox');
        // In mfox: I/O share and fan-out between the leave and the enter thresholds stay.
        const between = {
          ...e,
          longestMs: Math.min(e.longestMs, T.promoteMs / 2),
          syncMs: Math.min(e.syncMs, T.promoteMs / 2),
          ioShare: T.ioShare - 0.1,
          fanOut: T.leaveFanOut,
          wallMs: 10,
          waitMs: 10 * (T.ioShare - 0.1),
          loopBusy: T.loopSaturated / 2,
        };
        assert.equal(targetMode(between, T, at('mfox')), 'mfox');
        assert.equal(targetMode(between, T, at('sfox')), 'sfox');
      }),
    );
  });

  it('promotes more, never less, as the longest segment grows', () => {
    fc.assert(
      fc.property(evidence, context, ms, (e, ctx, extra) => {
        fc.pre(ctx.current !== 'tfox');
        const before = targetMode(e, T, ctx);
        const after = targetMode({ ...e, longestMs: e.longestMs + extra }, T, ctx);
        if (before === 'tfox') assert.equal(after, 'tfox');
      }),
    );
  });

  it('leaves light calls on the loop whatever their fan-out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), mode, (fanOut, current) => {
        assert.equal(targetMode({ ...light, fanOut, ioShare: 0.99 }, T, at(current)), 'sfox');
      }),
    );
  });

  it('bounds I/O in a lane only while the event loop is not what calls wait for', () => {
    const io = { ...light, syncMs: 0.05, longestMs: 0.1, wallMs: 40, ioShare: 0.99, waitMs: 39.6 };
    const many = { ...io, fanOut: 64 };
    assert.equal(targetMode({ ...many, loopBusy: 0.5 }, T, at('sfox')), 'mfox');
    assert.equal(targetMode({ ...many, loopBusy: 0.95 }, T, at('sfox')), 'sfox', 'saturated');
    assert.equal(targetMode({ ...many, loopBusy: 0.95 }, T, at('mfox')), 'sfox', 'saturated');
    // Hysteresis: between the enter and leave levels each mode keeps its place.
    const band = (T.loopSaturated + T.leaveLoopSaturated) / 2;
    assert.equal(targetMode({ ...many, loopBusy: band }, T, at('sfox')), 'sfox');
    assert.equal(targetMode({ ...many, loopBusy: band }, T, at('mfox')), 'mfox');
  });

  it('promotes compute that runs after an await (the longest segment, not the first)', () => {
    const awaitThenCompute = { ...light, syncMs: 0.05, longestMs: 4, wallMs: 6, waitMs: 2 };
    assert.equal(targetMode(awaitThenCompute, T, at('sfox')), 'tfox');
    // Once there, the worker only sees the first segment: it stays while calls are not trivial.
    const inWorker = { ...light, syncMs: 0.05, longestMs: 0.05, wallMs: 6 };
    assert.equal(targetMode(inWorker, T, at('tfox', 'later-segment')), 'tfox');
    assert.equal(targetMode(inWorker, T, at('tfox', 'first-segment')), 'sfox');
  });

  it('keeps a blocking call out of tfox when it would mostly wait there with many in flight', () => {
    // Sorts for 1 ms, then waits ~15 ms on I/O; 32 in flight. On a busy loop its wall time is
    // long, but little of it is I/O that its siblings' compute does not explain.
    const e = { ...light, syncMs: 1, longestMs: 1, wallMs: 70, ioShare: 0.98, waitMs: 69 };
    assert.equal(targetMode({ ...e, fanOut: 32, workerWaitShare: 0.93 }, T, at('sfox')), 'mfox');
    // Mostly compute once the queueing behind its siblings is taken out: workers help.
    assert.equal(targetMode({ ...e, fanOut: 32, workerWaitShare: 0.3 }, T, at('sfox')), 'tfox');
    // Few in flight: a worker's slots are enough, so the blocking decides.
    assert.equal(targetMode({ ...e, fanOut: 2, workerWaitShare: 0.93 }, T, at('sfox')), 'tfox');
  });
});
