import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LatencyHistogram } from '../../../src/telemetry/histogram.js';
import {
  DURATION_BOUNDARIES,
  exportedBucket,
  exportedHistogram,
} from '../../../src/telemetry/metrics/duration-buckets.js';

/** Whether `ms` is within `share` of an exported boundary (where midpoints may cross it). */
const nearBoundary = (ms: number, share: number) =>
  DURATION_BOUNDARIES.some((b) => Math.abs(ms / 1000 - b) <= b * share);

describe('exported duration buckets', () => {
  it('boundaries rise from 1 µs to 5 minutes', () => {
    assert.equal(DURATION_BOUNDARIES[0], 1e-6);
    assert.equal(DURATION_BOUNDARIES.at(-1), 300);
    assert.ok(DURATION_BOUNDARIES.every((b, i) => i === 0 || b > DURATION_BOUNDARIES[i - 1]!));
  });

  it('puts each duration in the bucket of its exact value when it is not close to a boundary', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .double({ min: 1e-4, max: 400_000, noNaN: true })
            .filter((ms) => !nearBoundary(ms, 1 / 16)),
          { maxLength: 200 },
        ),
        (values) => {
          const h = new LatencyHistogram();
          for (const ms of values) h.record(ms);
          const e = exportedHistogram(h);
          assert.equal(e.count, values.length);
          assert.equal(
            e.counts.reduce((a, b) => a + b, 0),
            values.length,
          );
          const exact = new Array<number>(DURATION_BOUNDARIES.length + 1).fill(0);
          for (const ms of values) exact[exportedBucket(ms / 1000)]!++;
          assert.deepEqual(e.counts, exact);
          const sum = values.reduce((a, b) => a + b, 0) / 1000;
          assert.ok(Math.abs(e.sum - sum) <= 1e-9 * Math.max(1, sum));
        },
      ),
    );
  });

  it('counts durations above 5 minutes in +Inf and a value on a boundary below it', () => {
    assert.equal(exportedBucket(600), DURATION_BOUNDARIES.length);
    assert.equal(exportedBucket(0.005), DURATION_BOUNDARIES.indexOf(0.005));
    assert.equal(exportedBucket(0), 0);
  });
});
