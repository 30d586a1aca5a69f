import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseDuration } from '@fox/sdk';
import {
  expectedRetriesPerCall,
  findBursts,
  readableDurationAtLeast,
  suggestRetry,
  suggestTimeout,
} from '../../src/runtime-evidence/suggest.js';

describe('parameter suggestions', () => {
  it('a timeout suggestion is at least the observed quantile × margin, and reads back exactly', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1e8, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        (observed, margin) => {
          const s = suggestTimeout(observed, 0.99, margin);
          assert.ok(s.ms >= observed, `${s.ms} < ${observed}`);
          assert.ok(s.ms >= Math.min(observed * margin, 2_147_483_647));
          assert.equal(parseDuration(s.text), s.ms, s.text);
        },
      ),
    );
  });

  it('a readable duration has at most two significant digits and overshoots by less than 10%', () => {
    fc.assert(
      fc.property(fc.double({ min: 10, max: 1e8, noNaN: true }), (ms) => {
        const d = readableDurationAtLeast(ms);
        const digits = d.text
          .replace(/ms|s$/, '')
          .replace('.', '')
          .replace(/^0+|0+$/g, '');
        assert.ok(digits.length <= 2, d.text);
        assert.ok(d.ms <= ms * 1.1 + 1, `${d.text} for ${ms}`);
      }),
    );
    assert.deepEqual(
      [38.2, 456, 999.5, 1234, 2100 * 1.5, 12_345].map((v) => readableDurationAtLeast(v).text),
      ['39ms', '460ms', '1s', '1.3s', '3.2s', '13s'],
    );
  });

  it('a retry suggestion never exceeds the retry budget', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (rate, budget) => {
          const r = suggestRetry(rate, { budgetRatio: budget });
          if (!r) return;
          assert.ok(r.attempts >= 2 && r.attempts <= 5);
          assert.ok(expectedRetriesPerCall(rate, r.attempts) <= budget + 1e-12);
          assert.ok(r.retriesPerCall <= budget + 1e-12);
        },
      ),
    );
  });

  it('no retry when even one retry exceeds the budget, or nothing fails', () => {
    assert.equal(suggestRetry(0.2, { budgetRatio: 0.1 }), undefined);
    assert.equal(suggestRetry(0), undefined);
    assert.equal(suggestRetry(0.05)?.attempts, 3);
  });

  it('finds bursts as runs of failing intervals', () => {
    const quiet = { calls: 10, errors: 0 };
    const down = { calls: 10, errors: 9 };
    const b = findBursts([quiet, down, down, quiet, quiet, down, quiet]);
    assert.deepEqual([b.bursts, b.longest], [2, 2]);
    assert.equal(b.errorsInBursts, 1);
    assert.equal(findBursts([quiet, { calls: 10, errors: 1 }, quiet]).bursts, 0);
  });
});
