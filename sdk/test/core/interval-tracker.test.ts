import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LatencyHistogram } from '../../src/telemetry/histogram.js';
import { IntervalTracker } from '../../src/telemetry/interval-tracker.js';

describe('IntervalTracker', () => {
  it('splits cumulative telemetry into intervals that add up to the whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0.001, max: 5_000, noNaN: true }), { maxLength: 50 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (batches) => {
          const cumulative = new LatencyHistogram();
          const tracker = new IntervalTracker();
          const sum = new LatencyHistogram();
          let calls = 0;
          for (const batch of batches) {
            const fresh = new LatencyHistogram();
            for (const v of batch) {
              cumulative.record(v);
              fresh.record(v);
            }
            calls += batch.length;
            const d = tracker.next('t', {
              calls,
              successes: calls,
              errors: 0,
              errorsByCode: {},
              latency: cumulative,
            });
            assert.equal(d.calls, batch.length);
            assert.deepEqual(d.latency.toSparse(), fresh.toSparse(), 'exactly this interval');
            assert.ok(d.latency.max <= cumulative.max);
            assert.ok(d.latency.max >= fresh.max, 'the bucket bound covers the real max');
            sum.merge(d.latency);
          }
          assert.deepEqual(sum.toSparse(), cumulative.toSparse());
        },
      ),
    );
  });

  it('reports errors by code per interval', () => {
    const tracker = new IntervalTracker();
    const h = new LatencyHistogram();
    const at = (errorsByCode: Record<string, number>) =>
      tracker.next('t', { calls: 10, successes: 0, errors: 0, errorsByCode, latency: h });
    assert.deepEqual(at({ E1: 2 }).errorsByCode, { E1: 2 });
    assert.deepEqual(at({ E1: 3, E2: 1 }).errorsByCode, { E1: 1, E2: 1 });
    assert.deepEqual(at({ E1: 3, E2: 1 }).errorsByCode, {});
  });
});
