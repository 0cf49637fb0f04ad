/**
 * The scale model (`npm run scale`) reads the real key layout: these pin what it must find
 * on small mixes (fast), scaled so the per-partition arithmetic is easy to check by hand.
 */
import { describe, expect, it } from "vitest";
import { resolveSettings } from "../../../../lib/config.js";
import { MIXES, type Mix, zipfWeights } from "../../../../load-testing/scale/mix.js";
import { runModel } from "../../../../load-testing/scale/model.js";
import { quotaRows } from "../../../../load-testing/scale/quotas.js";
import { BEFORE } from "../../../../load-testing/scale/shards.js";

const settings = resolveSettings();
const single: Mix = { ...(MIXES.single as Mix), rate: 2000, failedShare: 0, duplicateShare: 0 };
const family = (r: Awaited<ReturnType<typeof runModel>>, name: string) =>
  r.families.find((f) => f.family === name);

describe("scale model", () => {
  it("finds one tenant's one type on one byType key before sharding, and spreads it after", async () => {
    const before = await runModel(single, { ...settings, ...BEFORE });
    expect(family(before, "byType")).toMatchObject({
      key: "tenant-0001#domain01.updated",
      writes: 2000,
      wcu: 2000,
      partitions: 1,
    });
    // byTime was 4 shards, the statistics one partition: 200 batches of 10 -> 200 updates.
    expect(family(before, "byTime")?.partitions).toBe(4);
    expect(family(before, "stats")).toMatchObject({ key: "T#tenant-0001#STATS", writes: 200 });

    const after = await runModel(single, settings);
    const byType = family(after, "byType");
    expect(byType?.partitions).toBe(settings.typeShards);
    // Ids hash evenly: the hottest shard holds about 1/32 of 2,000 (62.5), well under 2x.
    expect(byType?.wcu).toBeLessThan((2 * 2000) / settings.typeShards);
    expect(family(after, "stats")?.partitions).toBeGreaterThan(1);
  });

  it("uses the item sizes DynamoDB bills: a 1 KiB event item takes 2 WCU, an index entry 1", async () => {
    const r = await runModel({ ...single, rate: 100 }, settings);
    expect(r.sizes.eventItem).toBeGreaterThan(1024);
    expect(family(r, "table")?.wcu).toBe(2);
    expect(r.totals.indexWcu.byType).toBe(100);
    expect(r.totals.indexWcu.byTime).toBe(100);
  });

  it("Zipf weights sum to 1 and fall with rank", () => {
    const w = zipfWeights(1000, 1.1);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(w[0]).toBeGreaterThan(0.17);
    expect(w[0]).toBeLessThan(0.19);
    expect(w[999]).toBeLessThan(w[0] as number);
  });

  it("names the quota a mix meets first and the rate at which it binds", async () => {
    const r = await runModel(single, settings);
    const rows = quotaRows(r, settings, {
      ingestMs: 40,
      processMs: 60,
      listPagesPerSecond: 10,
      statsReadsPerSecond: 1,
      configCacheSeconds: 60,
      configBytes: 8192,
    });
    const esm = rows.find((q) => q.name.includes("MaximumConcurrency"));
    // 10 concurrent batches of 10 events, 60 ms each: 1,667 events/s.
    expect(esm?.bindsAt).toBeCloseTo(1666.7, 0);
    const api = rows.find((q) => q.name.startsWith("API Gateway throttle"));
    expect(api?.bindsAt).toBe(250_000);
  });
});
