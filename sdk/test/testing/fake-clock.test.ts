import assert from 'node:assert/strict';
import fc from 'fast-check';
import { repeatEvery } from '../../src/clock/clock.js';
// Through the published entry, as users' own tests import it.
import { createFakeClock } from '@fox/sdk/testing';

describe('createFakeClock (@fox/sdk/testing)', () => {
  it('starts where it is told and moves both readings only on tick', () => {
    const clock = createFakeClock({ now: 500, wallNow: 1_700_000_000_000 });
    assert.equal(clock.now(), 500);
    assert.equal(clock.wallNow(), 1_700_000_000_000);
    clock.tick(250);
    assert.equal(clock.now(), 750);
    assert.equal(clock.wallNow(), 1_700_000_000_250);
  });

  it('fires a timer when its time comes, not before, with now() at its due time', () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 1_000);
    clock.tick(999);
    assert.deepEqual(seen, []);
    clock.tick(5);
    assert.deepEqual(seen, [1_000]);
    assert.equal(clock.now(), 1_004);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('fires timers scheduled by timers within the same tick, and never cleared ones', () => {
    const clock = createFakeClock();
    const seen: string[] = [];
    const cleared = clock.setTimeout(() => seen.push('cleared'), 10);
    clock.setTimeout(() => {
      seen.push('a');
      clock.setTimeout(() => seen.push('b'), 20);
    }, 10);
    clock.clearTimeout(cleared);
    clock.tick(29);
    assert.deepEqual(seen, ['a']);
    clock.tick(1);
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('fires timers in due order, ties in scheduling order, whatever the order they were set', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 30 }), (delays) => {
        const clock = createFakeClock();
        const fired: { due: number; index: number }[] = [];
        delays.forEach((ms, index) => clock.setTimeout(() => fired.push({ due: ms, index }), ms));
        clock.tick(100);
        const expected = delays
          .map((due, index) => ({ due, index }))
          .sort((a, b) => a.due - b.due || a.index - b.index);
        assert.deepEqual(fired, expected);
      }),
    );
  });

  it('tickAsync lets promise chains started by one timer settle before the next fires', async () => {
    const clock = createFakeClock();
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => null)
        .then(() => seen.push('first settled'));
    }, 10);
    clock.setTimeout(() => seen.push('second timer'), 20);
    await clock.tickAsync(20);
    assert.deepEqual(seen, ['first settled', 'second timer']);
  });

  it('runAll fires everything pending, however far ahead', () => {
    const clock = createFakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 5);
    clock.setTimeout(() => fired++, 60_000);
    assert.equal(clock.runAll(), 2);
    assert.equal(fired, 2);
    assert.equal(clock.now(), 60_000);
  });

  it('drives repeatEvery like any timer, until cancelled', () => {
    const clock = createFakeClock();
    let runs = 0;
    const timer = repeatEvery(clock, 100, () => runs++);
    clock.tick(350);
    assert.equal(runs, 3);
    timer.cancel();
    clock.tick(1_000);
    assert.equal(runs, 3);
    assert.equal(clock.pendingTimers(), 0);
  });
});
