/** Pure statistics: percentiles, latency summaries, histograms and 1-second time buckets. */

/**
 * Nearest-rank percentile of an ascending array (the value below which p% of the
 * samples fall, always one of the samples). Null for no samples.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[rank - 1] ?? null;
}

export interface Summary {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  const n = arr.length;
  let sum = 0;
  for (const v of arr) sum += v;
  const r = (x: number | null) => (x === null ? null : round2(x));
  return {
    count: n,
    min: r(n ? (arr[0] ?? null) : null),
    mean: r(n ? sum / n : null),
    p50: r(percentile(arr, 50)),
    p95: r(percentile(arr, 95)),
    p99: r(percentile(arr, 99)),
    max: r(n ? (arr[n - 1] ?? null) : null),
  };
}

/** Latency histogram edges in milliseconds (upper bounds, inclusive); the last bin is open. */
export const LATENCY_EDGES_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000,
] as const;

/** Milliseconds as a short label: 500, 2s, 2m. */
export function shortMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return String(ms);
}

export interface HistogramBin {
  /** Label (upper bound in ms, or s/m): "<=5", "<=2s", ">5m". */
  label: string;
  count: number;
}

export function histogram(
  values: readonly number[],
  edges: readonly number[] = LATENCY_EDGES_MS,
): HistogramBin[] {
  for (let i = 1; i < edges.length; i++) {
    if ((edges[i] ?? 0) <= (edges[i - 1] ?? 0)) throw new RangeError("edges must be ascending");
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < edges.length && v > (edges[i] ?? Number.POSITIVE_INFINITY)) i++;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count, i) => ({
    label: i < edges.length ? `<=${shortMs(edges[i] ?? 0)}` : `>${shortMs(edges.at(-1) ?? 0)}`,
    count,
  }));
}

export interface TimeBucket {
  /** Seconds since the series' origin (bucket start). */
  second: number;
  count: number;
  /** Sum of the weights added (events in a request, for instance). */
  weight: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/**
 * Samples grouped in fixed buckets (1 s by default) from an origin: the data of the
 * "over time" charts. Buckets without samples are reported with a zero count so a
 * stall shows as a gap, not as a shorter chart.
 */
export interface TimeSeriesSnapshot {
  originMs: number;
  bucketMs: number;
  buckets: [index: number, bucket: { values: number[]; weight: number; count: number }][];
}

export class TimeSeries {
  readonly #buckets = new Map<number, { values: number[]; weight: number; count: number }>();

  constructor(
    readonly originMs: number,
    readonly bucketMs = 1000,
  ) {
    if (!(bucketMs > 0)) throw new RangeError("bucketMs must be positive");
  }

  /** Adds one sample at time `atMs`; `value` (a latency) is optional, `weight` defaults to 1. */
  add(atMs: number, value?: number, weight = 1): void {
    const index = Math.max(0, Math.floor((atMs - this.originMs) / this.bucketMs));
    let bucket = this.#buckets.get(index);
    if (!bucket) {
      bucket = { values: [], weight: 0, count: 0 };
      this.#buckets.set(index, bucket);
    }
    bucket.count++;
    bucket.weight += weight;
    if (value !== undefined) bucket.values.push(value);
  }

  /** The samples as plain data (a generator's ledger file). */
  snapshot(): TimeSeriesSnapshot {
    return {
      originMs: this.originMs,
      bucketMs: this.bucketMs,
      buckets: [...this.#buckets].map(([i, b]) => [i, { ...b, values: [...b.values] }]),
    };
  }

  /** Adds another series' samples, placed by their absolute time. */
  absorb(other: TimeSeriesSnapshot): void {
    for (const [index, b] of other.buckets) {
      const atMs = other.originMs + index * other.bucketMs;
      const mine = Math.max(0, Math.floor((atMs - this.originMs) / this.bucketMs));
      const bucket = this.#buckets.get(mine) ?? { values: [], weight: 0, count: 0 };
      bucket.values.push(...b.values);
      bucket.weight += b.weight;
      bucket.count += b.count;
      this.#buckets.set(mine, bucket);
    }
  }

  buckets(): TimeBucket[] {
    if (this.#buckets.size === 0) return [];
    const last = Math.max(...this.#buckets.keys());
    const out: TimeBucket[] = [];
    for (let i = 0; i <= last; i++) {
      const b = this.#buckets.get(i);
      const s = b ? summarize(b.values) : undefined;
      out.push({
        second: (i * this.bucketMs) / 1000,
        count: b?.count ?? 0,
        weight: b?.weight ?? 0,
        p50: s?.p50 ?? null,
        p95: s?.p95 ?? null,
        p99: s?.p99 ?? null,
      });
    }
    return out;
  }
}
