/**
 * The per-second series behind the local console (GET /_local/metrics/series): derived
 * from the EMF documents alone, one-second periods, Sum/SampleCount for every metric
 * and p50/p99 for the others, each data point counted once.
 */
import { describe, expect, it } from "vitest";
import { MetricsAggregator, SECONDS_KEPT } from "../../../local/metrics.js";

/** An EMF document as Powertools Metrics prints it. */
function emf(at: number, metrics: Record<string, { unit: string; value: number | number[] }>) {
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: "EventFlow",
          Dimensions: [["service"]],
          Metrics: Object.entries(metrics).map(([Name, m]) => ({ Name, Unit: m.unit })),
        },
      ],
    },
    service: "eventflow",
    ...Object.fromEntries(Object.entries(metrics).map(([name, m]) => [name, m.value])),
  };
}

/** A whole second a minute ago: buckets older than SECONDS_KEPT before now are dropped. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

describe("MetricsAggregator.timeSeries", () => {
  it("sums counts per one-second period and leaves out the second still filling", () => {
    const m = new MetricsAggregator();
    m.ingest(emf(T0 + 100, { EventsReceived: { unit: "Count", value: 3 } }));
    m.ingest(emf(T0 + 900, { EventsReceived: { unit: "Count", value: 2 } }));
    m.ingest(emf(T0 + 2_500, { EventsReceived: { unit: "Count", value: 7 } }));
    m.ingest(emf(T0 + 4_200, { EventsReceived: { unit: "Count", value: 1 } }));
    const series = m.timeSeries({ seconds: 4, now: T0 + 4_500 });
    expect(series.start).toBe(new Date(T0).toISOString());
    expect(series.end).toBe(new Date(T0 + 4_000).toISOString());
    const received = series.metrics.EventsReceived;
    expect(received?.sum).toEqual([5, 0, 7, 0]);
    expect(received?.count).toEqual([2, 0, 1, 0]);
    expect(received?.window).toEqual({ count: 3, sum: 12 });
    // Counts have no percentiles; totals cover everything since the start.
    expect(received?.p50).toBeUndefined();
    expect(series.totals.EventsReceived?.sum).toBe(13);
  });

  it("gives p50/p99 per period and over the window for non-count metrics", () => {
    const m = new MetricsAggregator();
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    m.ingest(emf(T0 + 10, { ProcessingLatency: { unit: "Milliseconds", value: values } }));
    m.ingest(emf(T0 + 2_010, { ProcessingLatency: { unit: "Milliseconds", value: [500] } }));
    const latency = m.timeSeries({ seconds: 3, now: T0 + 3_000 }).metrics.ProcessingLatency;
    expect(latency?.p50).toEqual([50, null, 500]);
    expect(latency?.p99).toEqual([99, null, 500]);
    expect(latency?.window.count).toBe(101);
    expect(latency?.window.p50).toBe(51);
    expect(latency?.window.p99).toBe(100);
  });

  it("counts a data point once whatever its dimension sets, and filters by name", () => {
    const m = new MetricsAggregator();
    const doc = emf(T0, { EventsProcessed: { unit: "Count", value: 4 } });
    doc._aws.CloudWatchMetrics[0]?.Dimensions.push([]);
    m.ingest(doc);
    m.ingest(emf(T0, { EventsFailed: { unit: "Count", value: 1 } }));
    const series = m.timeSeries({ seconds: 1, now: T0 + 1_000, names: ["EventsProcessed"] });
    expect(Object.keys(series.metrics)).toEqual(["EventsProcessed"]);
    expect(series.metrics.EventsProcessed?.sum).toEqual([4]);
    expect(Object.keys(series.totals)).toEqual(["EventsProcessed"]);
  });

  it("keeps at most SECONDS_KEPT seconds and resets with the rest", () => {
    const m = new MetricsAggregator();
    m.ingest(emf(T0, { EventsReceived: { unit: "Count", value: 1 } }));
    m.ingest(emf(T0 + (SECONDS_KEPT + 5) * 1000, { EventsReceived: { unit: "Count", value: 1 } }));
    const all = m.timeSeries({ seconds: 10_000, now: T0 + (SECONDS_KEPT + 6) * 1000 });
    expect(all.metrics.EventsReceived?.sum).toHaveLength(SECONDS_KEPT);
    expect(all.metrics.EventsReceived?.window.sum).toBe(1);
    m.reset();
    expect(m.timeSeries({ seconds: 5 }).metrics).toEqual({});
  });
});
