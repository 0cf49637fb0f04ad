/**
 * The pipeline end to end, over HTTP only: ingest -> queue -> process -> table -> query.
 * Runs against the local runtime, or a deployed stack when EVENTFLOW_URL is set (the
 * poison test needs the local runtime's fault switch and is skipped there).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, sleep, uniqueId, uniqueType, waitFor } from "./client.js";

const MAX_RECEIVE_COUNT = 5;

let platform: Platform;
let api: Api;

beforeAll(async () => {
  platform = await startPlatform({
    // Retries at once: the poison test walks its receives without waiting.
    settings: {
      processTimeoutSeconds: 1,
      retryBaseDelaySeconds: 0,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    },
  });
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
});

describe("events reach the table", () => {
  it("a single purchase is processed and enriched", async () => {
    const big = await api.send({ type: "purchase", data: { amount: 1500, currency: "USD" } });
    const small = await api.send({ type: "purchase", data: { amount: 20, currency: "USD" } });
    const [stored, standard] = await api.settledAll([big, small]);
    expect(stored).toMatchObject({
      id: big,
      status: "processed",
      attempts: 1,
      enrichment: { category: "high_value" },
      data: { amount: 1500, currency: "USD" },
    });
    expect(standard?.enrichment?.category).toBe("standard");
  });

  it("a batch is processed, every event", async () => {
    const type = uniqueType("batch");
    const ids = await api.sendBatch(
      Array.from({ length: 40 }, (_, i) => ({ type, data: { n: i } })),
    );
    expect(ids).toHaveLength(40);
    const stored = await api.settledAll(ids);
    expect(stored.every((e) => e.status === "processed" && e.attempts === 1)).toBe(true);
  });

  it("a business-rule failure is failed with its reason, after exactly one attempt", async () => {
    const id = await api.send({ type: "purchase", data: { amount: -5 } });
    const stored = await api.settled(id);
    expect(stored).toMatchObject({
      status: "failed",
      attempts: 1,
      failure: { kind: "business_rule", reason: "purchase: data.amount must be greater than 0" },
    });
  });
});

describe("idempotency: one id, one record", () => {
  it("twice in a row, twice in one batch, five times at once", async () => {
    const type = uniqueType("dup");
    const event = (id: string) => ({ id, type, data: { same: true } });
    const a = uniqueId("twice");
    const b = uniqueId("batch");
    const c = uniqueId("concurrent");
    await api.send(event(a));
    await api.send(event(a));
    await api.sendBatch([event(b), event(b)]);
    await Promise.all(Array.from({ length: 5 }, () => api.send(event(c))));

    // Every message handled: 3 first writes and 6 duplicates in the statistics.
    const stats = await waitFor(
      async () => {
        const s = await api.stats(type);
        return s.processed + s.duplicate === 9 ? s : undefined;
      },
      30_000,
      "all nine messages to be counted",
    );
    expect(stats).toEqual({ processed: 3, failed: 0, duplicate: 6 });
    const { items } = await api.listAll({ type });
    expect(items.map((e) => e.id).sort()).toEqual([a, b, c].sort());
  });
});

describe("queries", () => {
  it("list by type and time range, page by page", async () => {
    const type = uniqueType("list");
    const early = await api.sendBatch(Array.from({ length: 6 }, (_, i) => ({ type, data: { i } })));
    await api.settledAll(early);
    await sleep(20);
    const boundary = new Date().toISOString();
    await sleep(20);
    const late = await api.sendBatch(Array.from({ length: 6 }, (_, i) => ({ type, data: { i } })));
    await api.settledAll(late);

    const all = await api.listAll({ type, limit: "5" });
    expect(all.pages.map((p) => p.items.length)).toEqual([5, 5, 2]);
    expect(all.pages.at(-1)?.nextCursor).toBeUndefined();
    const ids = all.items.map((e) => e.id);
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort()).toEqual([...early, ...late].sort());
    // Newest first.
    const times = all.items.map((e) => e.receivedAt);
    expect([...times].sort().reverse()).toEqual(times);

    const after = await api.listAll({ type, from: boundary, limit: "4" });
    expect(after.items.map((e) => e.id).sort()).toEqual([...late].sort());
    const before = await api.listAll({ type, to: boundary });
    expect(before.items.map((e) => e.id).sort()).toEqual([...early].sort());
  });

  it("statistics match what was sent", async () => {
    const type = uniqueType("stats");
    const ids = await api.sendBatch([
      ...Array.from({ length: 7 }, (_, i) => ({ type, data: { i } })),
    ]);
    await api.settledAll(ids);
    const stats = await waitFor(
      async () => {
        const s = await api.stats(type);
        return s.processed === 7 ? s : undefined;
      },
      10_000,
      "statistics",
    );
    expect(stats).toEqual({ processed: 7, failed: 0, duplicate: 0 });
  });

  it("an unknown route is the stack's 404, in the error envelope with a request id", async () => {
    const answer = await api.request("GET", "/v2/nothing");
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: { code: "route_not_found", message: "No such route", requestId: expect.any(String) },
    });
  });
});

describe.skipIf(!localOnly)("poison events (local fault injection)", () => {
  it("a type that always fails transiently ends in the DLQ, failed after maxReceiveCount", async () => {
    const poison = uniqueType("poison");
    await api.faults({ poisonType: poison });
    try {
      const bad = await api.send({ type: poison, data: { x: 1 } });
      const good = await api.send({ type: "purchase", data: { amount: 5 } });
      const [stored, fine] = await api.settledAll([bad, good], 60_000);
      expect(fine?.status).toBe("processed");
      expect(stored).toMatchObject({
        id: bad,
        status: "failed",
        attempts: MAX_RECEIVE_COUNT,
        failure: { kind: "dead_letter" },
      });
    } finally {
      const { counts } = await api.clearFaults();
      // Each receive's write, and each of the SDK's own retries of it.
      expect(counts.poisoned).toBeGreaterThanOrEqual(MAX_RECEIVE_COUNT);
    }
  });
});
