/**
 * Reliability under DynamoDB faults (issue items 1 and 2), a few thousand events each,
 * injected in the local runtime at run time (POST /_local/faults):
 *
 * 1. throttling: 20% of every DynamoDB call answered ProvisionedThroughputExceeded for
 *    the whole run (the SDK retries, then the handler backs the message off);
 * 2. table down: DynamoDB unreachable (ECONNREFUSED) for several seconds while events
 *    are still arriving, then back.
 *
 * Each ends with nothing lost, nothing stored twice, and its figures printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, sleep, uniqueType } from "./client.js";
import { events, figures, progress, sendAll, waitStored } from "./reliability.js";

const EVENTS = 2_000;

let platform: Platform;
let api: Api;

describe.skipIf(!localOnly)("reliability: DynamoDB throttled or down", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      settings: {
        // Throttling waits are idle time: more pollers keep the run short on 2 cores.
        processMaxConcurrency: 20,
        // Visibility 60 s: a batch slowed by the SDK's retries never times out.
        processTimeoutSeconds: 10,
        // Backoff 1, 2, 4, 4 s: a message survives 11 s of outage before the DLQ.
        retryBaseDelaySeconds: 1,
        retryMaxDelaySeconds: 4,
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

  it("20% of DynamoDB calls throttled during 2,000 events: none lost, none stored twice", async () => {
    const type = uniqueType("throttle");
    const before = await progress(api);
    await api.faults({ dynamodbThrottleRate: 0.2 });
    const { accepted, refused } = await sendAll(api, events(type, `thr-${type}`, EVENTS));
    expect(refused).toEqual([]);
    // Settled while still throttled: the queue empties only when every message is done.
    await api.queuesEmpty(150_000);
    const { counts } = await api.clearFaults();
    await waitStored(api, type, accepted.length);
    const f = await figures(api, {
      test: "throttle-20%",
      sent: EVENTS,
      accepted,
      type,
      before,
      extra: { throttled: counts.dynamodbThrottled },
    });
    expect(f.answered202).toBe(EVENTS);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(EVENTS);
    expect(f.firstWrites).toBe(EVENTS);
    expect(f.items.every((e) => e.status === "processed")).toBe(true);
    expect(counts.dynamodbThrottled).toBeGreaterThan(0);
  });

  it("DynamoDB unreachable for 5 s mid-run: delayed, none lost, none stored twice", async () => {
    const type = uniqueType("outage");
    const before = await progress(api);
    const all = events(type, `out-${type}`, EVENTS);
    // Events keep arriving (40 requests of 50, paced) while the table goes away and back.
    const sending = sendAll(api, all, { batchSize: 50, clients: 2, pauseMs: 150 });
    await sleep(800);
    await api.faults({ dynamodbUnreachableSeconds: 5 });
    const { accepted, refused } = await sending;
    expect(refused).toEqual([]);
    await api.queuesEmpty(150_000);
    const { counts } = await api.clearFaults();
    const f = await figures(api, {
      test: "table-down-5s",
      sent: EVENTS,
      accepted,
      type,
      before,
      extra: { refusedConnections: counts.dynamodbUnreachable },
    });
    expect(f.answered202).toBe(EVENTS);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(EVENTS);
    expect(f.firstWrites).toBe(EVENTS);
    expect(f.items.every((e) => e.status === "processed")).toBe(true);
    // The outage was felt: some events took more than one receive.
    expect(f.maxAttempts).toBeGreaterThan(1);
    expect(counts.dynamodbUnreachable).toBeGreaterThan(0);
  });
});
