/** The load generator's pure core: statistics, mix, events, options, accounting, report. */
import { describe, expect, it } from "vitest";
import { EVENT_ID_PATTERN } from "../../lambdas/domain/event.js";
import {
  checkStats,
  classify,
  endToEnd,
  Ledger,
  type Observation,
  observe,
  parseStats,
} from "../../load-testing/core/accounting.js";
import { EventFactory, newRunId, seededRandom } from "../../load-testing/core/events.js";
import { parseMix, pickType } from "../../load-testing/core/mix.js";
import { type LoadOptions, parseOptions, planRate } from "../../load-testing/core/options.js";
import { lineChart, niceScale } from "../../load-testing/core/report.js";
import { apiPath, outcomesOf } from "../../load-testing/core/sender.js";
import { histogram, percentile, summarize, TimeSeries } from "../../load-testing/core/stats.js";

describe("percentile and summarize", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("uses the nearest rank", () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("sorts numerically, not as strings", () => {
    const s = summarize([100, 9, 20, 3]);
    expect(s).toMatchObject({ count: 4, min: 3, max: 100, p50: 9, mean: 33 });
    expect(summarize([])).toMatchObject({ count: 0, p50: null, mean: null });
  });
});

describe("histogram", () => {
  it("puts values in the first bin whose upper edge holds them, the rest in the open bin", () => {
    const bins = histogram([0.5, 1, 1.5, 10, 11, 1000], [1, 10, 100]);
    expect(bins).toEqual([
      { label: "<=1", count: 2 },
      { label: "<=10", count: 2 },
      { label: "<=100", count: 1 },
      { label: ">100", count: 1 },
    ]);
    expect(() => histogram([], [5, 1])).toThrow(RangeError);
    expect(histogram([], [500, 2000, 120_000]).map((b) => b.label)).toEqual([
      "<=500",
      "<=2s",
      "<=2m",
      ">2m",
    ]);
  });
});

describe("TimeSeries", () => {
  it("groups samples by second from the origin and keeps empty seconds", () => {
    const ts = new TimeSeries(10_000);
    ts.add(10_100, 5, 25);
    ts.add(10_900, 15, 25);
    ts.add(12_500, 40, 10);
    ts.add(9_000, 1); // before the origin: counted in the first bucket
    const b = ts.buckets();
    expect(b.map((x) => [x.second, x.count, x.weight])).toEqual([
      [0, 3, 51],
      [1, 0, 0],
      [2, 1, 10],
    ]);
    expect(b[0]).toMatchObject({ p50: 5, p99: 15 });
    expect(b[1]?.p50).toBeNull();
    expect(new TimeSeries(0).buckets()).toEqual([]);
  });
});

describe("mix", () => {
  it("parses relative weights into shares", () => {
    expect(parseMix("purchase=50,page_view=30,user_signup=20")).toEqual([
      { type: "purchase", share: 0.5 },
      { type: "page_view", share: 0.3 },
      { type: "user_signup", share: 0.2 },
    ]);
    expect(parseMix(" a=1 , b=3 ")).toEqual([
      { type: "a", share: 0.25 },
      { type: "b", share: 0.75 },
    ]);
    expect(parseMix("solo")).toEqual([{ type: "solo", share: 1 }]);
    expect(parseMix("a=1,b=0")).toEqual([{ type: "a", share: 1 }]);
  });

  it.each([
    ["", /empty/],
    ["a=1,a=2", /twice/],
    ["a=x", /number/],
    ["a=-1", /number/],
    ["a=0", /above 0/],
    ["bad type=1", /invalid event type/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseMix(spec)).toThrow(message);
  });

  it("picks types in proportion to their shares", () => {
    const mix = parseMix("a=50,b=30,c=20");
    expect([0, 0.49, 0.5, 0.79, 0.8, 0.999999].map((r) => pickType(mix, r))).toEqual([
      "a",
      "a",
      "b",
      "b",
      "c",
      "c",
    ]);
    const random = seededRandom(1);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const t = pickType(mix, random());
      counts[t] = (counts[t] ?? 0) + 1;
    }
    expect(counts.a).toBeGreaterThan(4800);
    expect(counts.a).toBeLessThan(5200);
    expect(counts.c).toBeGreaterThan(1850);
    expect(counts.c).toBeLessThan(2150);
  });
});

describe("EventFactory", () => {
  const factory = (overrides: { sizeBytes?: number; invalidShare?: number; seed?: number } = {}) =>
    new EventFactory({
      runId: "lt123abc",
      mix: parseMix("purchase=50,page_view=30,user_signup=20"),
      sizeBytes: overrides.sizeBytes ?? 1024,
      invalidShare: overrides.invalidShare ?? 0,
      random: seededRandom(overrides.seed ?? 42),
    });

  it("makes unique, valid ids tagged with the run, real types and the send time", () => {
    const f = factory();
    const events = Array.from({ length: 200 }, (_, i) => f.create(i + 1, 1_700_000_000_000));
    const ids = new Set(events.map((e) => e.event.id));
    expect(ids.size).toBe(200);
    for (const { event, expected } of events) {
      expect(event.id).toMatch(EVENT_ID_PATTERN);
      expect(event.id).toMatch(/^lt123abc-\d+$/);
      expect(["purchase", "page_view", "user_signup"]).toContain(event.type);
      expect(event.source).toBe("loadtest/lt123abc");
      expect(event.data.sentAt).toBe(1_700_000_000_000);
      expect(expected).toBe("processed");
      if (event.type === "purchase") expect(event.data.amount).toBeGreaterThan(0);
      if (event.type === "page_view") expect(event.data.url).toBeTypeOf("string");
      if (event.type === "user_signup") expect(event.subject).toBeTypeOf("string");
    }
    expect(newRunId(0, () => 0)).toBe("lt00000");
    expect(newRunId(Date.now())).toMatch(/^lt[0-9a-z]{12}$/);
  });

  it("pads events to about --size bytes", () => {
    for (const size of [300, 1024, 8000]) {
      const f = factory({ sizeBytes: size });
      for (let n = 1; n < 50; n++) {
        const bytes = Buffer.byteLength(JSON.stringify(f.create(n, Date.now()).event));
        expect(Math.abs(bytes - size)).toBeLessThanOrEqual(2);
      }
    }
    // Too small to pad: the event stays as it is.
    const tiny = factory({ sizeBytes: 10 }).create(1, 0).event;
    expect(tiny.data.padding).toBeUndefined();
  });

  it("breaks the type's business rule for the --invalid share and expects `failed`", () => {
    const f = factory({ invalidShare: 0.3, seed: 3 });
    const events = Array.from({ length: 2000 }, (_, i) => f.create(i + 1, 0));
    const invalid = events.filter((e) => e.expected === "failed");
    expect(invalid.length).toBeGreaterThan(500);
    expect(invalid.length).toBeLessThan(700);
    for (const { event } of invalid) {
      if (event.type === "purchase") expect(event.data.amount).toBe(0);
      if (event.type === "page_view") expect(event.data.url).toBeUndefined();
      if (event.type === "user_signup") expect(event.subject).toBeUndefined();
    }
  });

  it("is reproducible for a seed", () => {
    const a = factory({ seed: 9 }).create(5, 1);
    const b = factory({ seed: 9 }).create(5, 1);
    expect(a).toEqual(b);
  });
});

describe("options", () => {
  it("has the documented defaults", () => {
    const o = parseOptions([]) as LoadOptions;
    expect(o.url.href).toBe("http://localhost:3000/");
    expect(o).toMatchObject({
      batch: 25,
      durationSeconds: 10,
      connections: 10,
      sizeBytes: 1024,
      duplicates: 0,
      invalid: 0,
      drainTimeoutSeconds: 120,
      verify: "list",
      json: false,
    });
    expect(o.rate).toBeUndefined();
    expect(o.count).toBeUndefined();
  });

  it("reads every option and the API key from the environment", () => {
    const o = parseOptions(
      [
        ...[
          "--url",
          "https://api.example/prod",
          "--rate",
          "500",
          "--batch",
          "50",
          "--count",
          "1000",
        ],
        ...["--mix", "purchase=1", "--duplicates", "0.05", "--invalid", "0.1", "--json"],
      ],
      { EVENTFLOW_API_KEY: "k1" },
    ) as LoadOptions;
    expect(o).toMatchObject({ rate: 500, batch: 50, count: 1000, apiKey: "k1", json: true });
    expect(o.durationSeconds).toBeUndefined();
    expect(
      (parseOptions(["--api-key", "k2"], { EVENTFLOW_API_KEY: "k1" }) as LoadOptions).apiKey,
    ).toBe("k2");
    expect(parseOptions(["--help"])).toBe("help");
  });

  it.each([
    [["--duration", "5", "--count", "10"], /not both/],
    [["--batch", "501"], /batch/],
    [["--batch", "2.5"], /integer/],
    [["--batch", "500", "--size", "4096"], /request limit/],
    [["--rate", "0"], /rate/],
    [["--url", "ftp://x"], /http/],
    [["--verify", "scan"], /verify/],
    [["--nope"], /Unknown option/],
    [["--mix", "a=x"], /mix/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });

  it("plans a rate as whole requests per second", () => {
    expect(planRate({ rate: 500, batch: 25, connections: 10 })).toEqual({
      requestsPerSecond: 20,
      batch: 25,
      eventsPerSecond: 500,
      connections: 10,
    });
    // Below one batch per second: smaller batches.
    expect(planRate({ rate: 10, batch: 25, connections: 10 })).toMatchObject({
      requestsPerSecond: 1,
      batch: 10,
      connections: 1,
    });
    expect(planRate({ rate: 110, batch: 25, connections: 10 })).toMatchObject({
      requestsPerSecond: 5,
      batch: 22,
      eventsPerSecond: 110,
    });
    expect(planRate({ batch: 25, connections: 10, count: 30 })).toEqual({
      batch: 25,
      connections: 2,
    });
  });
});

describe("outcomesOf (POST /v1/events answers)", () => {
  const events = [{ id: "r-1" }, { id: "r-2" }, { id: "r-3" }];

  it("maps batch results by index", () => {
    const body = JSON.stringify({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 2, status: "failed", id: "r-3", reason: "queue" },
        { index: 0, id: "r-1", status: "queued" },
        { index: 1, status: "rejected", errors: ["type"] },
      ],
    });
    expect(outcomesOf(202, body, events, false).map((o) => o.kind)).toEqual([
      "queued",
      "rejected",
      "failed",
    ]);
  });

  it("does not trust answers it cannot match", () => {
    const wrongId = JSON.stringify({ results: [{ index: 0, id: "other", status: "queued" }] });
    expect(outcomesOf(202, wrongId, events, false).map((o) => o.kind)).toEqual([
      "in_doubt",
      "in_doubt",
      "in_doubt",
    ]);
    expect(outcomesOf(202, "<html>", events, false)[0]?.kind).toBe("in_doubt");
    expect(outcomesOf(429, "", events, false)).toEqual([
      { kind: "http", status: 429 },
      { kind: "http", status: 429 },
      { kind: "http", status: 429 },
    ]);
  });

  it("reads the single-event answer", () => {
    const one = [{ id: "r-1" }];
    expect(outcomesOf(202, '{"id":"r-1","status":"queued"}', one, true)[0]?.kind).toBe("queued");
    expect(outcomesOf(202, '{"id":"r-9","status":"queued"}', one, true)[0]?.kind).toBe("in_doubt");
  });

  it("keeps a stage path of the base URL", () => {
    expect(apiPath(new URL("https://x.example/prod/"), "/v1/events")).toBe("/prod/v1/events");
    expect(apiPath(new URL("http://localhost:3000"), "/v1/events")).toBe("/v1/events");
  });
});

describe("accounting", () => {
  const stored = (id: string, status: string, extra: Partial<Observation> = {}): Observation => ({
    id,
    listed: 1,
    status,
    ...extra,
  });

  function ledgerOf() {
    const l = new Ledger();
    l.sent("r-1", "purchase", "processed");
    l.outcome("r-1", { kind: "queued" });
    l.sent("r-2", "purchase", "failed");
    l.outcome("r-2", { kind: "queued" });
    l.sent("r-1", "purchase", "processed"); // duplicate send
    l.outcome("r-1", { kind: "queued" });
    l.sent("r-3", "page_view", "processed");
    l.outcome("r-3", { kind: "http", status: 429 });
    l.sent("r-4", "page_view", "processed");
    l.outcome("r-4", { kind: "in_doubt" });
    l.sent("r-5", "page_view", "processed");
    l.outcome("r-5", { kind: "rejected" });
    return l;
  }

  it("counts sends, accepted unique ids and duplicates", () => {
    expect(ledgerOf().counts()).toEqual({
      eventsSent: 6,
      uniqueSent: 5,
      acceptedSends: 3,
      acceptedUnique: 2,
      acceptedDuplicateSends: 1,
      expectedFailures: 1,
      rejected: 1,
      ingestFailed: 0,
      httpErrors: { "429": 1 },
      inDoubt: 1,
    });
    expect(() => new Ledger().outcome("x", { kind: "queued" })).toThrow(/never sent/);
  });

  it("passes when every accepted id is stored once with its expected status", () => {
    const obs = new Map([
      ["r-1", stored("r-1", "processed")],
      ["r-2", stored("r-2", "failed", { failureKind: "business_rule" })],
      ["r-4", stored("r-4", "processed")], // in doubt, stored: fine
    ]);
    const v = classify(ledgerOf(), obs);
    expect(v).toMatchObject({
      checked: 2,
      processed: 1,
      failedAsExpected: 1,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      inDoubtStored: 1,
    });
  });

  it("finds lost, duplicated and unexpected events", () => {
    const obs = new Map([
      ["r-1", stored("r-1", "processed", { listed: 2 })],
      ["r-3", stored("r-3", "processed")], // answered 429, stored anyway
      ["r-9", stored("r-9", "processed")], // never sent
    ]);
    const v = classify(ledgerOf(), obs);
    expect(v.lost).toBe(1);
    expect(v.samples.lost).toEqual(["r-2"]);
    expect(v.duplicated).toBe(1);
    expect(v.unexpected).toBe(2);
    expect(v.samples.unexpected.map((f) => f.reason)).toEqual([
      "stored but never accepted",
      "stored but never sent",
    ]);
  });

  it("does not call an event lost when the API could not be asked about it", () => {
    const obs = new Map([["r-1", stored("r-1", "processed")]]);
    const v = classify(ledgerOf(), obs, new Set(["r-2"]));
    expect(v).toMatchObject({ lost: 0, unverified: 1, checked: 2 });
  });

  it("flags a wrong status, a wrong failure kind and a wrong type", () => {
    const l = ledgerOf();
    const reasons = (o: Observation) =>
      classify(
        l,
        new Map([
          ["r-1", stored("r-1", "processed")],
          ["r-2", o],
        ]),
      ).samples.unexpected;
    expect(reasons(stored("r-2", "processed"))[0]?.reason).toBe(
      "status processed, expected failed",
    );
    expect(reasons(stored("r-2", "failed", { failureKind: "dead_letter" }))[0]?.reason).toMatch(
      /dead_letter/,
    );
    expect(reasons(stored("r-2", "failed", { type: "page_view" }))[0]?.reason).toMatch(/type/);
  });

  it("compares stats deltas per type with the accepted ids", () => {
    const l = ledgerOf();
    const before = parseStats({
      types: [{ type: "purchase", processed: 10, failed: 1, duplicate: 0 }],
    });
    const after = parseStats({
      types: [
        { type: "purchase", processed: 11, failed: 2, duplicate: 1 },
        { type: "page_view", processed: 1, failed: 0, duplicate: 0 },
      ],
    });
    const c = checkStats(before, after, ["purchase", "page_view"], l, 1);
    expect(c).toMatchObject({
      storedDelta: 3,
      expectedStored: 3,
      excess: 0,
      shortfall: 0,
      duplicateDelta: 1,
      expectedDuplicates: 1,
    });
    expect(c.types[0]).toMatchObject({ processedDelta: 1, failedDelta: 1, expectedFailed: 1 });
    const doubled = parseStats({ types: [{ type: "purchase", processed: 13, failed: 2 }] });
    expect(checkStats(before, doubled, ["purchase"], l).excess).toBe(2);
    expect(checkStats(before, before, ["purchase"], l).shortfall).toBe(2);
    expect(parseStats({ nope: 1 }).size).toBe(0);
  });

  it("reads stored events defensively and measures end-to-end latency", () => {
    const o = observe({
      id: "r-1",
      type: "purchase",
      status: "processed",
      receivedAt: "2030-01-01T00:00:00.100Z",
      processedAt: "2030-01-01T00:00:00.350Z",
      data: { sentAt: Date.parse("2030-01-01T00:00:00.000Z") },
    });
    expect(o).toMatchObject({ id: "r-1", status: "processed", sentAt: 1893456000000 });
    expect(observe({ status: "processed" })).toBeUndefined();
    expect(observe(null)).toBeUndefined();
    const noData = observe({
      id: "r-2",
      status: "failed",
      receivedAt: "2030-01-01T00:00:00.000Z",
      failedAt: "2030-01-01T00:00:00.040Z",
      failure: { kind: "business_rule" },
    });
    expect(noData?.failureKind).toBe("business_rule");
    expect(endToEnd([o as Observation])).toEqual({
      basis: "sentAt",
      samples: [{ startMs: 1893456000000, latencyMs: 350 }],
    });
    expect(endToEnd([o as Observation, noData as Observation]).basis).toBe("mixed");
    expect(endToEnd([{ id: "x", listed: 1 }]).basis).toBe("none");
  });
});

describe("report charts", () => {
  it("chooses round axis steps", () => {
    expect(niceScale(93)).toEqual({ max: 100, step: 20 });
    expect(niceScale(0)).toEqual({ max: 1, step: 0.2 });
    expect(niceScale(1234)).toEqual({ max: 1500, step: 500 });
  });

  it("draws escaped, self-contained SVG and breaks lines at missing values", () => {
    const svg = lineChart("p99 <latency>", "ms", "s", [
      {
        name: "a&b",
        color: "#000",
        points: [
          [0, 1],
          [1, null],
          [2, 3],
        ],
      },
    ]);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("p99 &#60;latency&#62;");
    expect(svg).toContain("a&#38;b");
    expect(svg.match(/M/g)?.length).toBeGreaterThanOrEqual(2);
    expect(lineChart("empty", "", "", [])).toContain("no data");
  });
});
