/**
 * A poison message inside a batch of 10 (issue item 6) and the partial batch contract
 * as the pipeline lives it (item 7, GUIDE §2), through the local runtime's SQS event
 * source: a listed failure returns alone, a batch with no failure is deleted whole, a
 * batch whose every record fails (the handler throws) returns whole.
 *
 * The poison fault makes every DynamoDB write of one event type fail with a 500, so the
 * message fails transiently on every receive until SQS moves it to the DLQ; the DLQ
 * consumer then records it as failed (dead_letter).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, uniqueType } from "./client.js";
import { events, figures, progress, sendAll } from "./reliability.js";

const MAX_RECEIVE_COUNT = 5;

let platform: Platform;
let api: Api;

describe.skipIf(!localOnly)("reliability: poison messages and partial batches", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      settings: {
        maxReceiveCount: MAX_RECEIVE_COUNT,
        processBatchSize: 10,
        // Up to 1 s to fill a batch of 10; two pollers (the AWS minimum), so the ten
        // messages of one request normally travel in one batch.
        processMaxBatchingWindowSeconds: 1,
        processMaxConcurrency: 2,
        // A failed message is visible again at once: five receives in a few seconds.
        retryBaseDelaySeconds: 0,
        processTimeoutSeconds: 5,
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

  async function batches(): Promise<number> {
    const status = await api.request<{ pollers: { process: { batches: number } } }>(
      "GET",
      "/_local/status",
    );
    return status.body.pollers.process.batches;
  }

  it("one poison among 10: DLQ after exactly maxReceiveCount receives, 9 siblings processed once", async () => {
    const type = uniqueType("siblings");
    const poison = uniqueType("poison");
    await api.faults({ poisonType: poison });
    const before = await progress(api);
    const batchesBefore = await batches();
    const batch = events(type, `sib-${type}`, 9);
    batch.splice(4, 0, { id: `poison-${poison}`, type: poison, data: { n: 4 } });
    const { accepted, refused } = await sendAll(api, batch, { batchSize: 10, clients: 1 });
    expect(refused).toEqual([]);
    expect(accepted).toHaveLength(10);
    const bad = await api.settled(`poison-${poison}`, 60_000);
    await api.queuesEmpty(60_000);
    const after = await progress(api);
    const f = await figures(api, {
      test: "poison-in-batch-of-10",
      sent: 10,
      accepted,
      type: [type, poison],
      before,
      extra: {
        processBatches: (await batches()) - batchesBefore,
        poisonReceives: after.metric("EventsRetried") - before.metric("EventsRetried"),
        poisonStatus: bad.status,
        poisonAttempts: bad.attempts,
      },
    });
    // The poison: failed on each of its maxReceiveCount receives, then the DLQ recorded it.
    expect(f.poisonReceives).toBe(MAX_RECEIVE_COUNT);
    expect(f.dlqDeliveries).toBe(1);
    expect(after.metric("EventsDeadLettered") - before.metric("EventsDeadLettered")).toBe(1);
    expect(bad).toMatchObject({
      status: "failed",
      attempts: MAX_RECEIVE_COUNT,
      failure: { kind: "dead_letter" },
    });
    // The siblings: one delivery each, never retried, stored once.
    expect(f.deliveries).toBe(9 + MAX_RECEIVE_COUNT);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(10);
    const siblings = f.items.filter((e) => e.type === type);
    expect(siblings).toHaveLength(9);
    expect(siblings.every((e) => e.status === "processed" && e.attempts === 1)).toBe(true);
    expect(f.duplicatesAbsorbed).toBe(0);
    expect(await api.stats(type)).toEqual({ processed: 9, failed: 0, duplicate: 0 });
  });

  it("a batch with no failure is deleted whole after one delivery", async () => {
    const type = uniqueType("clean");
    const before = await progress(api);
    const { accepted } = await sendAll(api, events(type, `clean-${type}`, 10), { clients: 1 });
    await api.settledAll(accepted);
    await api.queuesEmpty(30_000);
    const f = await figures(api, { test: "no-failure", sent: 10, accepted, type, before });
    expect(f.deliveries).toBe(10);
    expect(f.storedOnce).toBe(10);
    expect(f.lost + f.duplicated).toBe(0);
  });

  it("a batch whose every record fails returns whole, each to the DLQ after maxReceiveCount", async () => {
    const poison = uniqueType("all-poison");
    await api.faults({ poisonType: poison });
    const before = await progress(api);
    const { accepted } = await sendAll(api, events(poison, `allp-${poison}`, 10), {
      clients: 1,
    });
    const stored = await api.settledAll(accepted, 60_000);
    await api.queuesEmpty(60_000);
    const f = await figures(api, {
      test: "all-failed",
      sent: 10,
      accepted,
      type: poison,
      before,
      extra: {
        failedBatches: (await progress(api)).processFailedBatches - before.processFailedBatches,
      },
    });
    // The handler threw (FullBatchFailureError): every receive returned all ten.
    expect(f.deliveries).toBe(10 * MAX_RECEIVE_COUNT);
    expect(f.dlqDeliveries).toBe(10);
    expect(f.storedOnce).toBe(10);
    expect(f.lost + f.duplicated).toBe(0);
    expect(stored.every((e) => e.status === "failed" && e.attempts === MAX_RECEIVE_COUNT)).toBe(
      true,
    );
  });
});
