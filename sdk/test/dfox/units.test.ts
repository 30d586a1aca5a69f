import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  findJsonProblem,
  lockSettingsFor,
  worstCaseRecoveryMs,
} from '../../src/modes/dfox/index.js';

describe('dfox units', () => {
  it('JSON values pass the check and round-trip unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.equal(findJsonProblem(v), undefined);
        // Same JSON after a round trip (-0, which reads back as 0, is the one harmless change).
        const text = JSON.stringify(v);
        assert.equal(JSON.stringify(JSON.parse(text)), text);
      }),
    );
  });

  it('a value that JSON would change is found, with its path', () => {
    const bad = fc.constantFrom<unknown>(
      new Date(0),
      new Map(),
      () => 1,
      1n,
      Number.NaN,
      Infinity,
      Symbol('s'),
      new (class Point {})(),
    );
    fc.assert(
      fc.property(
        fc.jsonValue(),
        bad,
        fc.string({ minLength: 1, maxLength: 5 }).filter((k) => /^\w+$/.test(k)),
        (v, b, key) => {
          const holder = { keep: v, [key]: { inner: [b] } };
          const problem = findJsonProblem(holder);
          assert.ok(problem, 'not found');
          assert.equal(problem.path, `.${key}.inner[0]`);
        },
      ),
    );
  });

  it('lock settings recover a dead worker within about half of the task timeout', () => {
    assert.deepEqual(lockSettingsFor(undefined), { lockDuration: 30_000, stalledInterval: 30_000 });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 10_000_000 }), (timeout) => {
        const s = lockSettingsFor(timeout);
        assert.ok(s.lockDuration >= 1000 && s.lockDuration <= 30_000);
        assert.ok(s.stalledInterval >= 500 && s.stalledInterval <= 30_000);
        // Never slower than BullMQ's defaults; within half the timeout once that is reachable.
        assert.ok(worstCaseRecoveryMs(s) <= Math.max(timeout / 2, 1500) || timeout / 2 > 60_000);
      }),
    );
  });
});
