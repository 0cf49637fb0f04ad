/**
 * The scale model (`npm run scale`) reads the real key layout: these pin what it must find
 * on small mixes (fast), scaled so the per-partition arithmetic is easy to check by hand.
 */
import { describe, expect, it } from "vitest";
import { resolveSettings } from "../../../../lib/config.js";
import { DELIVERIES_TABLE } from "../../../../lib/contracts/tables.js";
import { runFeatures } from "../../../../load-testing/scale/features.js";
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

  it("uses the item sizes DynamoDB bills: a packed 1 KiB event item takes 1 WCU, an index entry 1", async () => {
    const r = await runModel({ ...single, rate: 100 }, settings);
    expect(r.sizes.eventItem).toBeLessThanOrEqual(1024);
    expect(family(r, "table")?.wcu).toBe(1);
    expect(r.totals.indexWcu.byType).toBe(100);
    expect(r.totals.indexWcu.byTime).toBe(100);
  });

  it("finds a tenant's failures on one failed key before sharding, and spreads them over failedShards", async () => {
    const failing: Mix = { ...single, failedShare: 0.5 };
    const before = await runModel(failing, { ...settings, ...BEFORE });
    const hot = family(before, "failed");
    expect(hot?.key).toBe("tenant-0001#FAILED");
    expect(hot?.partitions).toBe(1);
    expect(hot?.writes).toBeGreaterThan(900);
    const after = await runModel(failing, settings);
    expect(family(after, "failed")?.partitions).toBe(settings.failedShards);
    expect(family(after, "failed")?.writes).toBeLessThan(
      (2 * (hot?.writes ?? 0)) / settings.failedShards,
    );
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
    });
    const esm = rows.find((q) => q.name.includes("MaximumConcurrency"));
    // 10 concurrent batches of 10 events, 60 ms each: 1,667 events/s.
    expect(esm?.bindsAt).toBeCloseTo(1666.7, 0);
    const api = rows.find((q) => q.name.startsWith("API Gateway throttle"));
    expect(api?.bindsAt).toBe(250_000);
  });
});

describe("scale model: the keys the features add", () => {
  it("spreads a tenant's deliveries over the log's shards, one staged archive file per batch for all its tenants, contributions over windowShards", async () => {
    const mix: Mix = { ...single, rate: 3000, tenants: 3, skew: 0 };
    const r = await runModel(mix, settings);
    const f = await runFeatures(
      mix,
      settings,
      { ingest: 1, process: 1 },
      r.hottestTenantRate,
      r.events,
      {
        routedShare: 1,
        destinations: 1,
        windowGroupRate: 1600,
        windowSeconds: 10,
      },
    );
    const load = (name: string) => f.loads.find((l) => l.family === name);
    // ~1,000 deliveries/s of the hottest tenant (uniform over 3), 2 writes each, over 32 shards.
    const byTime = load("deliveries byTime");
    expect(f.deliveries).toBeCloseTo(r.hottestTenantRate, 5);
    expect(byTime?.key).toMatch(/^tenant-0001#\d+$/);
    expect(byTime?.writes).toBeLessThan((2 * 2 * f.deliveries) / DELIVERIES_TABLE.shards);
    expect(byTime?.note).toContain("unsharded");
    // The log's writes per delivery: a claim and a status change write each index entry
    // (~150-200 B: 1 WCU each), against the whole ~2 KB item copied on both with ALL.
    const w = f.deliveryWrites;
    expect(w.now.perIndex).toEqual({ byTime: 2, byDestination: 2, byEvent: 2 });
    expect(w.before.perIndex.byTime).toBe(w.before.base);
    expect(w.before.total).toBe(w.before.base * 4);
    expect(w.now.total).toBeLessThan(w.before.total / 2);
    expect(byTime?.wcu).toBe((byTime?.writes ?? 0) * 1);
    // 1,600 contributions/s into one group over 16 shards: ~100 a key, each one write unit.
    const c = load("window contributions");
    expect(c?.key).toMatch(/^T#tenant-0001#W#A#/);
    expect(c?.writes).toBeGreaterThan(1600 / settings.windowShards / 2);
    expect(c?.writes).toBeLessThan((2 * 1600) / settings.windowShards);
    expect(c?.wcu).toBe(c?.writes);
    // A sweep pass reads the closing window, the one before (lateness) and the one filling:
    // 10 s windows, 10 s lateness, 10 s passes -> up to 3 windows (30 s) of 1,600/s.
    expect(f.windowClose.seconds).toBeGreaterThan(10);
    expect(f.windowClose.seconds).toBeLessThanOrEqual(40);
    expect(f.windowClose.items).toBeCloseTo(1600 * f.windowClose.seconds, 5);
    expect(f.windowClose.bindsAt).toBeCloseTo(
      settings.windowMaxReadItems / f.windowClose.seconds,
      5,
    );
    // 3 batches of 1,000 events from 3 tenants: one staged file each (one day), where the old
    // layout wrote 3; every batch PUTs to the one staging prefix of the day.
    expect(f.archive.filesPerBatch).toBe(1);
    expect(f.archive.oldLayoutPutsPerMillionEvents).toBeCloseTo(3000, 0);
    expect(f.archive.hottestPrefix).toBe("staging/day=2026-12-06/");
    expect(f.archive.hottestPrefixPutsPerSecond).toBeCloseTo(f.archive.batchesPerSecond, 5);
    // The splitter: a full chunk (1,000 files of 1,000) at 3,000 events/s over 15 minutes;
    // 3 tenants of ~333,000 rows each through a 100,000-row buffer: a few dozen files.
    expect(f.archive.chunkEvents).toBe(1_000_000);
    expect(f.archive.splitFilesPerChunk).toBeGreaterThan(3);
    expect(f.archive.splitFilesPerChunk).toBeLessThan(60);
    expect(f.archive.putsPerMillionEvents).toBeGreaterThan(1000);
    expect(f.archive.putsPerMillionEvents).toBeLessThan(1060);
  });
});
