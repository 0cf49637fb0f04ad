/**
 * Visibility expiry (issue item 4): processing slower than the queue's visibility
 * timeout, so a second consumer receives a message while the first still works on it.
 *
 * How it is made to happen: on AWS the stack prevents it (visibility = 6 x the function
 * timeout, lib/config.ts), so the test reproduces the situations where it happens anyway
 * (a queue whose visibility was lowered by hand, a latency spike) with two local faults:
 * `queueVisibilityTimeoutSeconds: 2` sets the queue's VisibilityTimeout attribute, as a
 * misconfiguration would, and `dynamodbLatencyMs: 2500` makes every DynamoDB call slow,
 * so one conditional write alone outlasts the 2 s visibility and a batch (write, then
 * statistics) takes about 5 s, inside the 10 s function timeout (no invocation times
 * out). Each message is received again by another poller while its first write is still
 * in flight. The conditional write keeps one record per id; later deliveries are
 * duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, uniqueType, waitFor } from "./client.js";
import { events, figures, progress, sendAll } from "./reliability.js";

const EVENTS = 200;
const VISIBILITY_SECONDS = 2;
const LATENCY_MS = 2_500;

let platform: Platform;
let api: Api;

describe.skipIf(!localOnly)("reliability: visibility timeout expires mid-processing", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      settings: { processTimeoutSeconds: 10, processMaxConcurrency: 20 },
    });
    api = new Api(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("a second consumer gets the message while the first works: one record, the rest duplicates", async () => {
    const type = uniqueType("visibility");
    const before = await progress(api);
    await api.faults({
      queueVisibilityTimeoutSeconds: VISIBILITY_SECONDS,
      dynamodbLatencyMs: LATENCY_MS,
    });
    const { accepted, refused } = await sendAll(api, events(type, `vis-${type}`, EVENTS), {
      batchSize: 50,
    });
    expect(refused).toEqual([]);
    await waitFor(
      async () => {
        const now = await progress(api);
        const written = now.metric("EventsProcessed") - before.metric("EventsProcessed");
        return written >= EVENTS || undefined;
      },
      120_000,
      "every event to be written",
      500,
    );
    // Visibility back to the stack's 60 s and no latency: what is left settles.
    const { counts } = await api.clearFaults();
    await api.queuesEmpty(120_000);
    const metrics = await api.request<{
      series: { name: string; max: number }[];
    }>("GET", "/_local/metrics");
    const slowest = Math.max(
      0,
      ...metrics.body.series.filter((s) => s.name === "ProcessingLatency").map((s) => s.max),
    );
    const f = await figures(api, {
      test: "visibility-expiry",
      sent: EVENTS,
      accepted,
      type,
      before,
      extra: {
        visibilitySeconds: VISIBILITY_SECONDS,
        latencyMs: LATENCY_MS,
        slowestRecordMs: slowest,
        delayedCalls: counts.dynamodbDelayed,
      },
    });
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(EVENTS);
    expect(f.firstWrites).toBe(EVENTS);
    expect(f.items.every((e) => e.status === "processed")).toBe(true);
    // Messages were received again while their first invocation still ran, and each
    // extra delivery (process or DLQ consumer) was recognised as a duplicate.
    expect(f.deliveries).toBeGreaterThan(EVENTS);
    expect(f.duplicatesAbsorbed).toBeGreaterThan(0);
    expect(f.duplicatesAbsorbed).toBe(f.deliveries + f.dlqDeliveries - EVENTS);
  });
});
