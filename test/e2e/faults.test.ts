/**
 * Failure scenarios, injected in the local runtime at run time (POST /_local/faults)
 * and observed over HTTP only: every accepted event still ends stored exactly once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, uniqueType, waitFor } from "./client.js";

let platform: Platform;
let api: Api;

describe.skipIf(!localOnly)("injected faults", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      settings: {
        // Visibility timeout 6 x 2 s: what a crashed batch waits before it comes back.
        processTimeoutSeconds: 2,
        // Backoff 1, 2, 4, 8 s over five receives: a few seconds of outage are absorbed.
        retryBaseDelaySeconds: 1,
        retryMaxDelaySeconds: 8,
      },
    });
    api = new Api(platform.url);
  });

  afterEach(async () => {
    await api.clearFaults();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("throttled DynamoDB writes are retried and every event ends processed", async () => {
    await api.faults({ dynamodbThrottleRate: 0.3 });
    const type = uniqueType("throttle");
    const ids = await api.sendBatch(Array.from({ length: 30 }, (_, i) => ({ type, data: { i } })));
    // One list query per poll: reads are throttled too (the query function answers 5xx
    // when the SDK's retries run out), so polling 30 ids one by one would crawl.
    const items = await waitFor(
      async () => {
        const page = await api.listAll({ type, limit: "100" }).catch(() => undefined);
        return page?.items.length === ids.length ? page.items : undefined;
      },
      90_000,
      "all events to be listed",
    );
    expect(items.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(items.every((e) => e.status === "processed")).toBe(true);
    const { counts } = await api.clearFaults();
    expect(counts.dynamodbThrottled).toBeGreaterThan(0);
    await api.queuesEmpty();
  });

  it("a DynamoDB outage of a few seconds delays events, loses none", async () => {
    await api.faults({ dynamodbUnreachableSeconds: 3 });
    const type = uniqueType("outage");
    const ids = await api.sendBatch(Array.from({ length: 10 }, (_, i) => ({ type, data: { i } })));
    const stored = await api.settledAll(ids, 60_000);
    expect(stored.every((e) => e.status === "processed")).toBe(true);
    // Written after the outage, on a later receive.
    expect(Math.max(...stored.map((e) => e.attempts))).toBeGreaterThan(1);
    const { counts } = await api.clearFaults();
    expect(counts.dynamodbUnreachable).toBeGreaterThan(0);
  });

  it("a crash after writing and before answering produces no duplicate", async () => {
    await api.faults({ crashAfterWriteRate: 1 });
    const type = uniqueType("crash");
    const ids = await api.sendBatch(Array.from({ length: 10 }, (_, i) => ({ type, data: { i } })));
    // Written, then the answer was lost: every message is still in the queue.
    await api.settledAll(ids);
    await api.faults({ crashAfterWriteRate: 0 });
    // Redelivered after the visibility timeout, found stored, deleted.
    await api.queuesEmpty(60_000);
    const { items } = await api.listAll({ type });
    expect(items.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(items.every((e) => e.status === "processed" && e.attempts === 1)).toBe(true);
    const stats = await waitFor(
      async () => {
        const s = await api.stats(type);
        return s.duplicate === 10 ? s : undefined;
      },
      10_000,
      "the redeliveries to be counted",
    );
    expect(stats).toEqual({ processed: 10, failed: 0, duplicate: 10 });
  });
});
