/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** Wilson score interval of a proportion `k / n` (well-behaved near 0 and 1 and for small n). */
export function wilson(k: number, n: number, z = Z95): { rate: number; low: number; high: number } {
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * A quantile with a distribution-free 95% interval from order statistics: the ranks
 * `n·q ± z·√(n·q·(1−q))` of the sorted sample (no assumption about the latency distribution).
 */
export function quantileWithCi(
  sorted: readonly number[],
  q: number,
  z = Z95,
): { value: number; low: number; high: number } | null {
  const n = sorted.length;
  if (n === 0) return null;
  const at = (i: number) => sorted[Math.min(n - 1, Math.max(0, i))]!;
  const half = z * Math.sqrt(n * q * (1 - q));
  return {
    value: at(Math.ceil(n * q) - 1),
    low: at(Math.floor(n * q - half) - 1),
    high: at(Math.ceil(n * q + half) - 1),
  };
}
