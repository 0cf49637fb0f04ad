/**
 * A replay resumes after the last event it sent (receivedAt, id), not at a position in the
 * day's list: rows leaving the list between slices (an erasure, the staged-read snapshot)
 * must not make it skip events, and rows joining it must not make it send one twice.
 */
import { describe, expect, it } from "vitest";
import type { JobMessage } from "../../../../lambdas/domain/history-jobs.js";
import { archiveChanges, splitStaged } from "../../../../lambdas/use-cases/archive-events.js";
import { runJobSlice, startJob } from "../../../../lambdas/use-cases/history-jobs.js";
import { memoryJobDeps, tableChange } from "../../../support/history-jobs.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";

const at = (i: number) => new Date(Date.parse("2026-12-06T10:00:00Z") + i * 1000).toISOString();
const id = (i: number) => `e${String(i).padStart(2, "0")}`;

/** 30 events of acme filed under events/: e00-e09 about u1, e10-e29 about u2. */
async function archived(store: MemoryArchiveStore) {
  const changes = Array.from({ length: 30 }, (_, i) =>
    tableChange("acme", id(i), i < 10 ? "u1" : "u2", at(i)),
  );
  await archiveChanges(changes, { store, now: () => Date.parse("2026-12-06T10:01:00Z") });
  await splitStaged({ chunkFiles: 10, bufferRows: 1000 }, { store });
}

/** Rewrites the tenant's files without (or with more) rows, as an erasure or a late filing would. */
async function rewrite(store: MemoryArchiveStore, keep: (id: string) => boolean, add = 0) {
  for (const f of await store.list("events/tenant=acme/")) {
    const rows = (await store.readEvents(f.key)).filter((r) => keep(r.id));
    await store.delete([f.key]);
    await store.writeEvents(f.key, rows);
  }
  if (add > 0) {
    await archiveChanges([tableChange("acme", "a00", "u2", at(-1))], {
      store,
      now: () => Date.parse("2026-12-06T10:02:00Z"),
    });
  }
}

function harness(store: MemoryArchiveStore) {
  const enqueued: string[] = [];
  const deps = memoryJobDeps(store, {
    events: {
      enqueue: async (messages: { event: { id: string } }[]) => {
        enqueued.push(...messages.map((m) => m.event.id));
        return { failed: [] };
      },
    } as never,
    // 2 events/s for 10 s: 20 events per slice.
    replayMaxRate: 2,
    replaySliceSeconds: 10,
    sleep: async () => {},
  });
  const start = async (): Promise<JobMessage> => {
    const job = await startJob(
      "acme",
      "replay",
      { from: "2026-12-06T00:00:00Z", to: "2026-12-07T00:00:00Z" },
      { jobs: deps.jobs, queue: { send: async () => {} }, now: deps.now, newId: () => "r1" },
    );
    return { tenant: "acme", kind: "replay", id: job.id };
  };
  return { deps, enqueued, start };
}

describe("a replay's cursor", () => {
  it("rows erased before its place between slices: the rest is still sent", async () => {
    const store = new MemoryArchiveStore();
    await archived(store);
    const h = harness(store);
    const m = await h.start();
    expect(await runJobSlice(m, h.deps)).toBe("continued");
    expect(h.enqueued).toEqual(Array.from({ length: 20 }, (_, i) => id(i)));
    // u1's ten events leave the archive (an erasure) before the next slice.
    await rewrite(store, (e) => e >= id(10));
    expect(await runJobSlice(m, h.deps)).toBe("finished");
    expect(h.enqueued.slice(20)).toEqual(Array.from({ length: 10 }, (_, i) => id(20 + i)));
  });

  it("a row joining before its place between slices: nothing is sent twice", async () => {
    const store = new MemoryArchiveStore();
    await archived(store);
    const h = harness(store);
    const m = await h.start();
    await runJobSlice(m, h.deps);
    await rewrite(store, () => true, 1);
    expect(await runJobSlice(m, h.deps)).toBe("finished");
    expect(h.enqueued.slice(20)).toEqual(Array.from({ length: 10 }, (_, i) => id(20 + i)));
    expect(new Set(h.enqueued).size).toBe(h.enqueued.length);
  });
});
