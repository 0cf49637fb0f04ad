/**
 * An in-memory CloudWatch for the local runtime: it reads the Embedded Metric
 * Format lines Powertools Metrics prints (what CloudWatch Logs would turn into
 * metrics in AWS) and keeps per-series aggregates, served at GET /_local/metrics.
 */

const SAMPLE_LIMIT = 2048;
const MINUTES_KEPT = 60;
/** Per-second buckets (the local console's charts): 15 minutes of one-second periods. */
export const SECONDS_KEPT = 900;
/** Values kept per metric and second for its percentiles (a uniform sample beyond). */
const SECOND_SAMPLE_LIMIT = 1000;

interface MetricDirective {
  Namespace?: string;
  Dimensions?: string[][];
  Metrics?: { Name?: string; Unit?: string }[];
}

interface Series {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastAt: number;
  samples: number[];
  minutes: Map<number, { count: number; sum: number }>;
}

export interface SeriesSnapshot {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  last: number;
  lastAt: string;
  perMinute: { minute: string; count: number; sum: number }[];
}

interface SecondBucket {
  count: number;
  sum: number;
  values: number[];
}

/**
 * One metric over the last `seconds` one-second periods, as CloudWatch would graph it
 * with period 1 s (Sum, SampleCount, p50, p99); index 0 is the oldest period.
 */
export interface MetricSeries {
  unit: string;
  sum: number[];
  count: number[];
  /** Only for metrics that are not counts; null where a period had no data point. */
  p50?: (number | null)[];
  p99?: (number | null)[];
  /** The whole window as one period. */
  window: { count: number; sum: number; p50?: number; p99?: number };
}

export interface TimeSeriesSnapshot {
  /** Start of the first period (inclusive) and end of the last (exclusive). */
  start: string;
  end: string;
  periodSeconds: 1;
  metrics: Record<string, MetricSeries>;
  /** Since the runtime started (or the last reset), as in `snapshot()`. */
  since: string;
  totals: MetricsSnapshot["totals"];
}

export interface MetricsSnapshot {
  since: string;
  emfLines: number;
  /** Sum and count per metric name, each data point counted once. */
  totals: Record<string, { unit: string; count: number; sum: number }>;
  series: SeriesSnapshot[];
}

export class MetricsAggregator {
  private series = new Map<string, Series>();
  private totals = new Map<string, { unit: string; count: number; sum: number }>();
  /** Per metric name, each data point counted once (like `totals`), by epoch second. */
  private seconds = new Map<string, { unit: string; buckets: Map<number, SecondBucket> }>();
  private since = Date.now();
  private lines = 0;

  /** Takes one parsed EMF document; false when it is not one. */
  ingest(doc: unknown): boolean {
    if (doc === null || typeof doc !== "object") return false;
    const record = doc as Record<string, unknown>;
    const aws = record._aws as { Timestamp?: number; CloudWatchMetrics?: MetricDirective[] };
    if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return false;
    this.lines++;
    const at = typeof aws.Timestamp === "number" ? aws.Timestamp : Date.now();
    for (const directive of aws.CloudWatchMetrics) {
      const namespace = directive.Namespace ?? "";
      const dimensionSets = directive.Dimensions?.length ? directive.Dimensions : [[]];
      for (const metric of directive.Metrics ?? []) {
        if (!metric.Name) continue;
        const raw = record[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (v): v is number => typeof v === "number" && Number.isFinite(v),
        );
        if (values.length === 0) continue;
        const unit = metric.Unit ?? "None";
        const total = this.totals.get(metric.Name) ?? { unit, count: 0, sum: 0 };
        total.count += values.length;
        total.sum += values.reduce((a, b) => a + b, 0);
        this.totals.set(metric.Name, total);
        this.addSecond(metric.Name, unit, values, at);
        for (const set of dimensionSets) {
          const dimensions: Record<string, string> = {};
          for (const name of set) dimensions[name] = String(record[name] ?? "");
          this.add(namespace, metric.Name, unit, dimensions, values, at);
        }
      }
    }
    return true;
  }

  private add(
    namespace: string,
    name: string,
    unit: string,
    dimensions: Record<string, string>,
    values: number[],
    at: number,
  ): void {
    const key = JSON.stringify([namespace, name, Object.entries(dimensions).sort()]);
    let s = this.series.get(key);
    if (!s) {
      s = {
        namespace,
        name,
        unit,
        dimensions,
        count: 0,
        sum: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
        last: 0,
        lastAt: at,
        samples: [],
        minutes: new Map(),
      };
      this.series.set(key, s);
    }
    const minute = Math.floor(at / 60_000) * 60_000;
    const bucket = s.minutes.get(minute) ?? { count: 0, sum: 0 };
    for (const v of values) {
      s.count++;
      s.sum += v;
      s.min = Math.min(s.min, v);
      s.max = Math.max(s.max, v);
      s.last = v;
      s.samples.push(v);
      bucket.count++;
      bucket.sum += v;
    }
    if (s.samples.length > SAMPLE_LIMIT) s.samples.splice(0, s.samples.length - SAMPLE_LIMIT);
    s.lastAt = at;
    s.minutes.set(minute, bucket);
    for (const m of s.minutes.keys()) {
      if (m < minute - MINUTES_KEPT * 60_000) s.minutes.delete(m);
    }
  }

  private addSecond(name: string, unit: string, values: number[], at: number): void {
    let metric = this.seconds.get(name);
    if (!metric) {
      metric = { unit, buckets: new Map() };
      this.seconds.set(name, metric);
    }
    const second = Math.floor(at / 1000);
    let bucket = metric.buckets.get(second);
    if (!bucket) {
      bucket = { count: 0, sum: 0, values: [] };
      metric.buckets.set(second, bucket);
      const oldest = Math.max(second, Math.floor(Date.now() / 1000)) - SECONDS_KEPT;
      for (const s of metric.buckets.keys()) if (s <= oldest) metric.buckets.delete(s);
    }
    for (const v of values) {
      bucket.count++;
      bucket.sum += v;
      if (bucket.values.length < SECOND_SAMPLE_LIMIT) bucket.values.push(v);
      else {
        // Reservoir sampling: every value of the second has the same chance to be kept.
        const slot = Math.floor(Math.random() * bucket.count);
        if (slot < SECOND_SAMPLE_LIMIT) bucket.values[slot] = v;
      }
    }
  }

  /**
   * The last `seconds` complete one-second periods before `now` (the current second is
   * still filling, so it is left out), per metric name; `names` limits the metrics.
   */
  timeSeries(options: { seconds: number; names?: string[]; now?: number }): TimeSeriesSnapshot {
    const seconds = Math.max(1, Math.min(SECONDS_KEPT, Math.floor(options.seconds)));
    const end = Math.floor((options.now ?? Date.now()) / 1000);
    const start = end - seconds;
    const wanted = options.names?.length ? new Set(options.names) : undefined;
    const metrics: Record<string, MetricSeries> = {};
    for (const [name, metric] of [...this.seconds.entries()].sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      if (wanted && !wanted.has(name)) continue;
      const withPercentiles = metric.unit !== "Count";
      const out: MetricSeries = {
        unit: metric.unit,
        sum: [],
        count: [],
        ...(withPercentiles ? { p50: [], p99: [] } : {}),
        window: { count: 0, sum: 0 },
      };
      const all: number[] = [];
      for (let s = start; s < end; s++) {
        const bucket = metric.buckets.get(s);
        out.sum.push(bucket?.sum ?? 0);
        out.count.push(bucket?.count ?? 0);
        out.window.count += bucket?.count ?? 0;
        out.window.sum += bucket?.sum ?? 0;
        if (!withPercentiles) continue;
        const sorted = bucket ? [...bucket.values].sort((a, b) => a - b) : [];
        out.p50?.push(sorted.length ? percentile(sorted, 50) : null);
        out.p99?.push(sorted.length ? percentile(sorted, 99) : null);
        all.push(...sorted);
      }
      if (withPercentiles && all.length > 0) {
        all.sort((a, b) => a - b);
        out.window.p50 = percentile(all, 50);
        out.window.p99 = percentile(all, 99);
      }
      metrics[name] = out;
    }
    return {
      start: new Date(start * 1000).toISOString(),
      end: new Date(end * 1000).toISOString(),
      periodSeconds: 1,
      metrics,
      since: new Date(this.since).toISOString(),
      totals: Object.fromEntries(
        [...this.totals.entries()]
          .filter(([name]) => !wanted || wanted.has(name))
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
  }

  snapshot(): MetricsSnapshot {
    const series = [...this.series.values()]
      .map((s): SeriesSnapshot => {
        const sorted = [...s.samples].sort((a, b) => a - b);
        const pct = (p: number) =>
          sorted.length === 0
            ? 0
            : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
        return {
          namespace: s.namespace,
          name: s.name,
          unit: s.unit,
          dimensions: s.dimensions,
          count: s.count,
          sum: s.sum,
          min: s.min,
          max: s.max,
          avg: s.count ? s.sum / s.count : 0,
          p50: pct(50),
          p90: pct(90),
          p99: pct(99),
          last: s.last,
          lastAt: new Date(s.lastAt).toISOString(),
          perMinute: [...s.minutes.entries()]
            .sort(([a], [b]) => a - b)
            .map(([m, b]) => ({ minute: new Date(m).toISOString(), ...b })),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      since: new Date(this.since).toISOString(),
      emfLines: this.lines,
      totals: Object.fromEntries([...this.totals.entries()].sort(([a], [b]) => a.localeCompare(b))),
      series,
    };
  }

  reset(): void {
    this.series.clear();
    this.totals.clear();
    this.seconds.clear();
    this.lines = 0;
    this.since = Date.now();
  }
}

/** Nearest-rank percentile of sorted values (what `snapshot()` reports too). */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
