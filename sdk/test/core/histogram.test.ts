import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HISTOGRAM_BUCKETS,
  LatencyHistogram,
  bucketIndex,
  bucketLowerBound,
  bucketWidth,
} from '../../src/telemetry/histogram.js';

function exactQuantile(sorted: number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

describe('LatencyHistogram', () => {
  it('maps every value into a bucket whose bounds contain it', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e14, noNaN: true }), (ns) => {
        const i = bucketIndex(ns);
        assert.ok(i >= 0 && i < HISTOGRAM_BUCKETS);
        const lo = bucketLowerBound(i);
        assert.ok(lo <= Math.floor(ns) || lo <= ns, `${ns} below bucket ${i} [${lo}]`);
        assert.ok(
          ns < lo + bucketWidth(i) + 1,
          `${ns} above bucket ${i} [${lo}+${bucketWidth(i)}]`,
        );
      }),
    );
  });

  it('bucket indexes never decrease as values grow', () => {
    let last = -1;
    for (let ns = 0; ns < 1e12; ns = ns * 1.01 + 1) {
      const i = bucketIndex(ns);
      assert.ok(i >= last, `index went down at ${ns}`);
      last = i;
    }
  });

  it('reports quantiles within 3.5% of the exact value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 60_000, noNaN: true }), {
          minLength: 1,
          maxLength: 500,
        }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (values, q) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const exact = exactQuantile(
            [...values].sort((a, b) => a - b),
            q,
          );
          const got = h.quantile(q);
          assert.ok(
            Math.abs(got - exact) <= exact * 0.035 + 1e-6,
            `q${q}: got ${got}, exact ${exact}`,
          );
        },
      ),
      // Found by this property: equal values at the bottom of a bucket, once interpolated.
      { examples: [[[0.017408, 0.017408, 0.018432], 0.5]] },
    );
  });

  it('merging equals recording everything in one histogram', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true })),
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true })),
        (a, b) => {
          const ha = new LatencyHistogram();
          const hb = new LatencyHistogram();
          const all = new LatencyHistogram();
          for (const v of a) {
            ha.record(v);
            all.record(v);
          }
          for (const v of b) {
            hb.record(v);
            all.record(v);
          }
          ha.merge(hb);
          assert.deepEqual(ha.toSparse(), all.toSparse());
          assert.equal(ha.count, all.count);
          assert.equal(ha.max, all.max);
        },
      ),
    );
  });

  it('round-trips through its binary encoding', () => {
    const h = new LatencyHistogram();
    for (const v of [0.002, 0.5, 1, 1, 12.5, 250, 9_000]) h.record(v);
    const back = LatencyHistogram.decode(h.encode());
    assert.deepEqual(back.toSparse(), h.toSparse());
    assert.equal(back.count, h.count);
    assert.equal(back.max, 9_000);
    assert.ok(Math.abs(back.sum - h.sum) < 1e-9);
    assert.equal(back.quantile(0.5), h.quantile(0.5));
  });

  it('is empty-safe and never reports above the exact maximum', () => {
    const h = new LatencyHistogram();
    assert.equal(h.quantile(0.99), 0);
    assert.equal(h.mean, 0);
    h.record(3);
    assert.equal(h.quantile(1), 3);
    assert.ok(h.quantile(0.5) <= 3);
  });
});
