import {
  HISTOGRAM_BUCKETS,
  bucketLowerBound,
  bucketWidth,
  type LatencyHistogram,
} from '../histogram.js';

/**
 * Upper bounds (seconds, inclusive) of the exported duration histogram's buckets: 1 µs (an sfox
 * call) to 5 minutes (a long tfox or dfox job), about three per decade.
 */
export const DURATION_BOUNDARIES: readonly number[] = [
  1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/**
 * Fox keeps each task's latencies in a fine log-linear histogram (see histogram.ts); the
 * exported histogram is derived from it when metrics are read, so recording costs nothing
 * extra per call. Each fine bucket stands for its midpoint, which decides the exported bucket
 * it falls in: a value within half a fine bucket (≤ 1/32 of itself) of a boundary may be
 * counted on the other side. Both exports (OpenTelemetry, Prometheus) use the same midpoints,
 * so they agree bucket for bucket.
 */
export function fineBucketSeconds(index: number): number {
  return (bucketLowerBound(index) + bucketWidth(index) / 2) / 1e9;
}

/** Exported bucket of a value in seconds: the first boundary ≥ it (the last is +Inf). */
export function exportedBucket(seconds: number): number {
  let lo = 0;
  let hi = DURATION_BOUNDARIES.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (DURATION_BOUNDARIES[mid]! < seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Exported bucket of every fine bucket, computed once. */
const EXPORTED_OF_FINE: Uint8Array = (() => {
  const out = new Uint8Array(HISTOGRAM_BUCKETS);
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) out[i] = exportedBucket(fineBucketSeconds(i));
  return out;
})();

/** A histogram with {@link DURATION_BOUNDARIES}: per-bucket counts (last is +Inf) and sum. */
export interface ExportedHistogram {
  /** Non-cumulative counts, `DURATION_BOUNDARIES.length + 1` of them. */
  readonly counts: readonly number[];
  readonly count: number;
  /** Sum of the recorded durations, seconds. */
  readonly sum: number;
}

/** The exported form of a fine latency histogram (recorded in ms). */
export function exportedHistogram(h: LatencyHistogram): ExportedHistogram {
  const counts = new Array<number>(DURATION_BOUNDARIES.length + 1).fill(0);
  const fine = h.counts;
  for (let i = 0; i < fine.length; i++) {
    const n = fine[i]!;
    if (n !== 0) counts[EXPORTED_OF_FINE[i]!]! += n;
  }
  return { counts, count: h.count, sum: h.sum / 1000 };
}
