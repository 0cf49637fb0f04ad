/**
 * Writing and reading the archive (lambdas/use-cases/archive-events.ts, read-archive.ts)
 * through the real Parquet codec over an in-memory store: one staged file per batch and
 * day for every tenant, the splitter files them by tenant in bounded chunks (a crash, a
 * retried batch, several days, a run that lost its input), readers see both layouts and
 * never another tenant's rows, the latest revision of an event wins, statistics and armed
 * replays are skipped, compaction merges finished days only and loses nothing.
 */
import { describe, expect, it } from "vitest";
import type { ArchiveStore } from "../../../../lambdas/ports/archive.js";
import {
  archiveChanges,
  compactArchive,
  splitStaged,
  type TableChange,
} from "../../../../lambdas/use-cases/archive-events.js";
import { readArchive, readArchiveDay } from "../../../../lambdas/use-cases/read-archive.js";
import { MemoryArchiveStore as MemoryStore } from "../../../support/memory-archive.js";

let seq = 0;
const change = (item: Record<string, unknown>, at = Date.now()): TableChange => ({
  newImage: { sk: "EVENT", attempts: 1, data: {}, correlationId: "c", ...item },
  sequence: String(++seq),
  changedAtMs: at,
});

const event = (
  tenantId: string,
  id: string,
  receivedAt: string,
  extra: Record<string, unknown> = {},
) => change({ tenantId, id, type: "purchase", status: "processed", receivedAt, ...extra });

async function all(store: ArchiveStore, tenant: string) {
  const out = [];
  for await (const day of readArchive(store, tenant, {})) out.push(...day);
  return out;
}

const split = (store: ArchiveStore, more: Partial<Parameters<typeof splitStaged>[0]> = {}) =>
  splitStaged({ chunkFiles: 100, bufferRows: 10_000, ...more }, { store });

const keys = (store: MemoryStore) => [...store.files.keys()].sort();

describe("archiveChanges", () => {
  it("writes one staged file per day for all its tenants, skipping statistics and armed replays", async () => {
    const store = new MemoryStore();
    const outcome = await archiveChanges(
      [
        event("acme", "a1", "2026-12-05T23:59:59.000Z"),
        event("acme", "a2", "2026-12-06T00:00:00.000Z", { subject: "u1", data: { amount: 5 } }),
        event("globex", "g1", "2026-12-06T10:00:00.000Z"),
        change({ tenantId: "acme", id: "stats", sk: "2026-12-06T10#0" }),
        event("acme", "armed", "2026-12-06T10:00:00.000Z", { replayToken: "r" }),
      ],
      { store, now: () => Date.parse("2026-12-06T12:00:00Z"), unique: () => "u" },
    );
    expect(outcome).toEqual({ archived: 3, skipped: 2, files: 2 });
    expect(keys(store)).toEqual([
      "staging/day=2026-12-05/part-20261206T120000000Z-u.parquet",
      "staging/day=2026-12-06/part-20261206T120000000Z-u.parquet",
    ]);
    const acme = await all(store, "acme");
    expect(acme.map((r) => [r.id, r.day, r.subject])).toEqual([
      ["a1", "2026-12-05", null],
      ["a2", "2026-12-06", "u1"],
    ]);
    expect(JSON.parse(acme[1]?.data ?? "")).toEqual({ amount: 5 });
    // Tenants never mix: globex's reader sees globex only, from the same staged file.
    expect((await all(store, "globex")).map((r) => r.id)).toEqual(["g1"]);
    expect((await all(store, "initech")).map((r) => r.id)).toEqual([]);
  });

  it("costs one PUT per batch however many tenants it holds", async () => {
    const store = new MemoryStore();
    const at = "2026-12-06T10:00:00.000Z";
    await archiveChanges(
      Array.from({ length: 300 }, (_, i) => event(`t${i}`, `e${i}`, at)),
      { store },
    );
    expect(store.puts).toBe(1);
  });

  it("keeps the latest revision of an event (a failed event replayed and processed)", async () => {
    const store = new MemoryStore();
    const at = "2026-12-06T10:00:00.000Z";
    await archiveChanges([event("acme", "x", at, { status: "failed" })], { store });
    await archiveChanges([event("acme", "x", at, { status: "processed", replayId: "r1" })], {
      store,
    });
    const rows = await all(store, "acme");
    expect(rows.map((r) => [r.id, r.status, r.replay_id])).toEqual([["x", "processed", "r1"]]);
  });
});

describe("splitStaged", () => {
  const at = "2026-12-06T10:00:00.000Z";

  it("files staged rows by tenant and day, one file per tenant and day per chunk, then deletes the inputs", async () => {
    const store = new MemoryStore();
    for (let b = 0; b < 3; b++) {
      await archiveChanges(
        [
          event("acme", `a${b}`, at),
          event("globex", `g${b}`, at),
          event("acme", `y${b}`, "2026-12-05T23:00:00.000Z"),
        ],
        { store },
      );
    }
    const before = { acme: await all(store, "acme"), globex: await all(store, "globex") };
    expect(before.acme).toHaveLength(6);
    const outcome = await split(store, { chunkFiles: 2 });
    // Day 12-05: 3 files in chunks of 2 and 1 -> acme twice; day 12-06: the same for 2 tenants.
    expect(outcome).toMatchObject({ chunks: 4, filesIn: 6, filesOut: 6, rows: 9, withdrawn: 0 });
    expect(keys(store).filter((k) => k.startsWith("staging/"))).toEqual([]);
    expect(keys(store).map((k) => k.replace(/part-.*$/, ""))).toEqual([
      "events/tenant=acme/day=2026-12-05/",
      "events/tenant=acme/day=2026-12-05/",
      "events/tenant=acme/day=2026-12-06/",
      "events/tenant=acme/day=2026-12-06/",
      "events/tenant=globex/day=2026-12-06/",
      "events/tenant=globex/day=2026-12-06/",
    ]);
    expect(await all(store, "acme")).toEqual(before.acme);
    expect(await all(store, "globex")).toEqual(before.globex);
  });

  it("holds at most bufferRows rows: the largest tenant is written out early", async () => {
    const store = new MemoryStore();
    for (let b = 0; b < 4; b++) {
      await archiveChanges(
        [
          ...Array.from({ length: 600 }, (_, i) => event("hot", `h${b}-${i}`, at)),
          event("cold", `c${b}`, at),
        ],
        { store },
      );
    }
    const outcome = await split(store, { bufferRows: 1000 });
    expect(outcome).toMatchObject({ chunks: 1, filesIn: 4, rows: 2404 });
    // The hot tenant went out whenever the buffer passed 1,000 rows; the cold one once.
    expect((await store.list("events/tenant=cold/")).length).toBe(1);
    expect((await store.list("events/tenant=hot/")).length).toBeGreaterThanOrEqual(2);
    expect(await all(store, "hot")).toHaveLength(2400);
  });

  it("a crash between writing and deleting leaves duplicates that readers collapse, never a loss", async () => {
    const store = new MemoryStore();
    await archiveChanges([event("acme", "a1", at), event("globex", "g1", at)], { store });
    const failing = Object.assign(Object.create(store) as MemoryStore, {
      delete: async () => {
        throw new Error("crash");
      },
    });
    await expect(split(failing)).rejects.toThrow("crash");
    // The outputs are there, the staged input too: both read, one row per event.
    expect(keys(store).filter((k) => k.startsWith("staging/"))).toHaveLength(1);
    expect((await all(store, "acme")).map((r) => r.id)).toEqual(["a1"]);
    // The next run files it again and deletes it: duplicates collapse on read.
    await split(store);
    expect(keys(store).filter((k) => k.startsWith("staging/"))).toEqual([]);
    expect((await store.list("events/tenant=acme/")).length).toBe(2);
    expect((await all(store, "acme")).map((r) => r.id)).toEqual(["a1"]);
    expect((await all(store, "globex")).map((r) => r.id)).toEqual(["g1"]);
  });

  it("a retried stream batch (the same revisions twice) reads as one row per event", async () => {
    const store = new MemoryStore();
    const batch = [event("acme", "a1", at), event("acme", "a2", at)];
    await archiveChanges(batch, { store });
    await archiveChanges(batch, { store });
    expect((await all(store, "acme")).map((r) => r.id)).toEqual(["a1", "a2"]);
    await split(store);
    expect((await all(store, "acme")).map((r) => r.id)).toEqual(["a1", "a2"]);
    // The by-tenant file keeps both copies (events_archive: every row); readers collapse them.
    const [filed] = await store.list("events/tenant=acme/");
    expect(await store.readEvents(filed?.key ?? "")).toHaveLength(4);
  });

  it("withdraws its outputs when an input vanished meanwhile, and leaves the others staged", async () => {
    const store = new MemoryStore();
    await archiveChanges([event("acme", "a1", at)], { store, unique: () => "1" });
    await archiveChanges([event("acme", "a2", at)], { store, unique: () => "2" });
    const [first] = keys(store);
    // Another run (or an erasure's rewrite) takes the first input while this one works.
    const racing = Object.assign(Object.create(store) as MemoryStore, {
      writeEvents: async (key: string, rows: Parameters<MemoryStore["writeEvents"]>[1]) => {
        await store.delete([first as string]);
        return store.writeEvents(key, rows);
      },
    });
    const outcome = await split(racing);
    expect(outcome).toMatchObject({ chunks: 0, withdrawn: 1 });
    expect(keys(store)).toEqual([expect.stringMatching(/^staging\/.*-2\.parquet$/)]);
  });

  it("shards take disjoint files and together take all; a deadline leaves files for the next run", async () => {
    const store = new MemoryStore();
    // Named files (not random ones), so how they hash over the shards is the same every run.
    for (let b = 0; b < 12; b++) {
      await archiveChanges([event("acme", `a${b}`, at)], {
        store,
        now: () => Date.parse("2026-12-06T12:00:00Z"),
        unique: () => `batch-${b}`,
      });
    }
    const late = await split(store, { deadline: 0 });
    expect(late).toMatchObject({ chunks: 0, left: 12 });
    const a = await split(store, { shard: 0, shards: 3, chunkFiles: 1 });
    const b = await split(store, { shard: 1, shards: 3, chunkFiles: 1 });
    const c = await split(store, { shard: 2, shards: 3, chunkFiles: 1 });
    expect(a.filesIn + b.filesIn + c.filesIn).toBe(12);
    expect(Math.min(a.filesIn, b.filesIn, c.filesIn)).toBeGreaterThan(0);
    expect(keys(store).filter((k) => k.startsWith("staging/"))).toEqual([]);
    expect(await all(store, "acme")).toHaveLength(12);
  });
});

describe("reading both layouts", () => {
  it("a day's events come from staged and by-tenant files, latest revision winning across them", async () => {
    const store = new MemoryStore();
    const at = "2026-12-06T10:00:00.000Z";
    await archiveChanges([event("acme", "x", at, { status: "failed" }), event("acme", "y", at)], {
      store,
    });
    await split(store);
    // After the split: x replayed (a newer revision) and z, still staged, beside globex's.
    await archiveChanges(
      [
        event("acme", "x", at, { status: "processed", replayId: "r1" }),
        event("acme", "z", at),
        event("globex", "z2", at, { subject: "u1" }),
      ],
      { store },
    );
    const day = await readArchiveDay(store, "acme", "2026-12-06", {});
    expect(day.map((r) => [r.id, r.status, r.tenant])).toEqual([
      ["x", "processed", "acme"],
      ["y", "processed", "acme"],
      ["z", "processed", "acme"],
    ]);
    // A selection on subject (the subject export) never reaches another tenant's rows.
    expect(await readArchiveDay(store, "acme", "2026-12-06", { subject: "u1" })).toEqual([]);
    expect(
      (await readArchiveDay(store, "globex", "2026-12-06", { subject: "u1" })).map((r) => r.id),
    ).toEqual(["z2"]);
  });
});

describe("compactArchive", () => {
  it("merges each finished day into one file, keeps today's, loses nothing", async () => {
    const store = new MemoryStore();
    const archiveAndSplit = async (...args: Parameters<typeof archiveChanges>) => {
      await archiveChanges(...args);
      await split(store, { chunkFiles: 1 });
    };
    let n = 0;
    const unique = () => String(++n);
    for (let i = 0; i < 3; i++) {
      await archiveAndSplit(
        [
          event("acme", `y${i}`, "2026-12-05T10:00:00.000Z"),
          event("acme", `t${i}`, "2026-12-06T10:00:00.000Z"),
        ],
        { store, unique },
      );
    }
    // A retried batch: the same revision written twice.
    const again = event("acme", "y0", "2026-12-05T10:00:00.000Z");
    await archiveAndSplit([again], { store, unique });
    await archiveAndSplit([again], { store, unique });
    const before = await all(store, "acme");
    const outcome = await compactArchive({
      store,
      now: () => Date.parse("2026-12-06T12:00:00Z"),
      unique,
    });
    expect(outcome).toMatchObject({ partitions: 1, filesIn: 5, filesOut: 1, rows: 3 });
    const yesterday = await store.list("events/tenant=acme/day=2026-12-05/");
    expect(yesterday.map((f) => f.key)).toEqual([
      expect.stringMatching(/\/compact-20261206T\d+Z-\d+\.parquet$/),
    ]);
    expect((await store.list("events/tenant=acme/day=2026-12-06/")).length).toBe(3);
    expect(await all(store, "acme")).toEqual(before);
  });
});
