/**
 * Writing and reading the archive (lambdas/use-cases/archive-events.ts, read-archive.ts)
 * through the real Parquet codec over an in-memory store: one file per tenant and day, the
 * latest revision of an event wins, statistics and armed replays are skipped, compaction
 * merges finished days only and loses nothing.
 */
import { describe, expect, it } from "vitest";
import type { ArchiveStore } from "../../../../lambdas/ports/archive.js";
import {
  archiveChanges,
  compactArchive,
  type TableChange,
} from "../../../../lambdas/use-cases/archive-events.js";
import { readArchive } from "../../../../lambdas/use-cases/read-archive.js";
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

describe("archiveChanges", () => {
  it("writes one Parquet file per tenant and day, skipping statistics and armed replays", async () => {
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
    expect(outcome).toEqual({ archived: 3, skipped: 2, files: 3 });
    expect([...store.files.keys()].sort()).toEqual([
      "events/tenant=acme/day=2026-12-05/part-20261206T120000000Z-u.parquet",
      "events/tenant=acme/day=2026-12-06/part-20261206T120000000Z-u.parquet",
      "events/tenant=globex/day=2026-12-06/part-20261206T120000000Z-u.parquet",
    ]);
    const acme = await all(store, "acme");
    expect(acme.map((r) => [r.id, r.day, r.subject])).toEqual([
      ["a1", "2026-12-05", null],
      ["a2", "2026-12-06", "u1"],
    ]);
    expect(JSON.parse(acme[1]?.data ?? "")).toEqual({ amount: 5 });
    // Tenants never mix: globex's reader sees globex only.
    expect((await all(store, "globex")).map((r) => r.id)).toEqual(["g1"]);
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

describe("compactArchive", () => {
  it("merges each finished day into one file, keeps today's, loses nothing", async () => {
    const store = new MemoryStore();
    let n = 0;
    const unique = () => String(++n);
    for (let i = 0; i < 3; i++) {
      await archiveChanges(
        [
          event("acme", `y${i}`, "2026-12-05T10:00:00.000Z"),
          event("acme", `t${i}`, "2026-12-06T10:00:00.000Z"),
        ],
        { store, unique },
      );
    }
    // A retried batch: the same revision written twice.
    const again = event("acme", "y0", "2026-12-05T10:00:00.000Z");
    await archiveChanges([again], { store, unique });
    await archiveChanges([again], { store, unique });
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
