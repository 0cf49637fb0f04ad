/**
 * The history API's archive store is built on its first use (issue 20, cold start): not
 * when the function starts, once for calls that arrive together, and again after a failed
 * build (the next request tries anew instead of failing forever).
 */
import { describe, expect, it } from "vitest";
import { LazyArchiveStore } from "../../../../lambdas/adapters/lazy-archive-store.js";
import type { ArchiveStore } from "../../../../lambdas/ports/archive.js";
import { MemoryArchiveStore } from "../../../support/memory-archive.js";

describe("LazyArchiveStore", () => {
  it("builds the store on the first call only, once for concurrent calls", async () => {
    let builds = 0;
    const inner = new MemoryArchiveStore();
    const store = new LazyArchiveStore(async () => {
      builds++;
      return inner;
    });
    expect(builds).toBe(0);
    await Promise.all([
      store.putFile("exports/a.jsonl", "{}\n", "application/x-ndjson"),
      store.list("exports/"),
    ]);
    expect(builds).toBe(1);
    expect((await store.list("exports/")).map((o) => o.key)).toEqual(["exports/a.jsonl"]);
    expect(await store.exists("exports/a.jsonl")).toBe(true);
    expect(builds).toBe(1);
  });

  it("tries again after a failed build", async () => {
    let builds = 0;
    const store = new LazyArchiveStore(async (): Promise<ArchiveStore> => {
      builds++;
      if (builds === 1) throw new Error("side file missing");
      return new MemoryArchiveStore();
    });
    await expect(store.list("events/")).rejects.toThrow("side file missing");
    expect(await store.list("events/")).toEqual([]);
    expect(builds).toBe(2);
  });
});
