/**
 * The archive function's splitter entry (lambdas/handlers/archive.ts): the schedule's event
 * (splitEvent, the same for the stack's rule and the local runtime) runs splitStaged with
 * the settings it carries, and a run with too little time left starts no chunk.
 */
import { describe, expect, it } from "vitest";
import { createArchiveHandler, SPLIT_RESERVE_MS } from "../../../../lambdas/handlers/archive.js";
import { archiveChanges } from "../../../../lambdas/use-cases/archive-events.js";
import { resolveSettings } from "../../../../lib/config.js";
import { splitEvent } from "../../../../lib/contracts/archive.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";

const change = (tenantId: string, id: string) => ({
  newImage: {
    sk: "EVENT",
    tenantId,
    id,
    type: "t",
    status: "processed",
    receivedAt: "2026-12-06T10:00:00.000Z",
    data: {},
    correlationId: "c",
  },
  sequence: id,
  changedAtMs: Date.parse("2026-12-06T10:00:01.000Z"),
});

describe("the archive handler's split event", () => {
  it("files staged rows by tenant with the schedule's settings", async () => {
    const store = new MemoryArchiveStore();
    await archiveChanges([change("acme", "a"), change("globex", "g")], { store });
    const handler = createArchiveHandler({ store });
    const event = splitEvent(resolveSettings({ archiveSplitChunkFiles: 7 }), 0);
    expect(event).toMatchObject({ split: true, chunkFiles: 7, shard: 0, shards: 1 });
    const outcome = await handler(event, { getRemainingTimeInMillis: () => 900_000 });
    expect(outcome).toMatchObject({ chunks: 1, filesIn: 1, filesOut: 2, rows: 2, left: 0 });
    expect([...store.files.keys()].every((k) => k.startsWith("events/"))).toBe(true);
  });

  it("leaves the staged files for the next run when its time is nearly up", async () => {
    const store = new MemoryArchiveStore();
    await archiveChanges([change("acme", "a")], { store });
    const handler = createArchiveHandler({ store });
    const outcome = await handler(splitEvent(resolveSettings({}), 0), {
      getRemainingTimeInMillis: () => SPLIT_RESERVE_MS - 1000,
    });
    expect(outcome).toMatchObject({ chunks: 0, left: 1 });
    expect([...store.files.keys()]).toEqual([expect.stringMatching(/^staging\//)]);
  });
});
