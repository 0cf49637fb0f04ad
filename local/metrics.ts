/**
 * An in-memory CloudWatch for the local runtime: it reads the Embedded Metric
 * Format lines Powertools Metrics prints (what CloudWatch Logs would turn into
 * metrics in AWS) and keeps per-series aggregates, served at GET /_local/metrics.
 */

const SAMPLE_LIMIT = 2048;
const MINUTES_KEPT = 60;

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
    this.lines = 0;
    this.since = Date.now();
  }
}
