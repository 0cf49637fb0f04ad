/** Order statistics for benchmark samples. Pure; NaN for an empty sample. */

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

function ofSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const low = sorted[lower] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - lower);
}

/**
 * The p-th percentile (0-100) with linear interpolation between the closest ranks (the
 * "R-7" method of numpy and spreadsheets): the median of [1, 2, 3, 4] is 2.5.
 */
export const percentile = (values: readonly number[], p: number): number =>
  ofSorted(ascending(values), p);

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = ascending(values);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: ofSorted(sorted, 50),
    p90: ofSorted(sorted, 90),
    p99: ofSorted(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: mean(sorted),
  };
}
