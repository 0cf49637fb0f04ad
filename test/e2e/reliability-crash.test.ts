/**
 * Reliability when the process function dies after writing and before answering (issue
 * item 3), on a share of the batches of a 2,000-event run: the runtime throws the answer
 * away, so the whole batch returns after the visibility timeout and every redelivered
 * event must be recognised as already stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, uniqueType, waitFor } from "./client.js";
import { events, figures, progress, sendAll } from "./reliability.js";

const EVENTS = 2_000;
const CRASH_RATE = 0.25;

let platform: Platform;
let api: Api;

describe.skipIf(!localOnly)("reliability: crash after write", () => {
  beforeAll(async () => {
    platform = await startPlatform({
      // Visibility timeout 6 x 3 s: a crashed batch is back 18 s later.
      settings: { processTimeoutSeconds: 3 },
    });
    api = new Api(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it(`${CRASH_RATE * 100}% of batches crash after their writes: redeliveries are duplicates, nothing stored twice`, async () => {
    const type = uniqueType("crash");
    const before = await progress(api);
    await api.faults({ crashAfterWriteRate: CRASH_RATE });
    const { accepted, refused } = await sendAll(api, events(type, `crash-${type}`, EVENTS));
    expect(refused).toEqual([]);
    // Every event written once (a crash loses only the answer)...
    await waitFor(
      async () =>
        (await progress(api)).metric("EventsProcessed") - before.metric("EventsProcessed") >=
          EVENTS || undefined,
      120_000,
      "every event to be written",
      500,
    );
    // ...then no more crashes, so the redelivered batches are answered and deleted.
    const { counts } = await api.clearFaults();
    await api.queuesEmpty(120_000);
    const f = await figures(api, {
      test: `crash-after-write-${CRASH_RATE * 100}%`,
      sent: EVENTS,
      accepted,
      type,
      before,
      extra: { crashedBatches: counts.crashes },
    });
    expect(counts.crashes).toBeGreaterThan(0);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(EVENTS);
    expect(f.firstWrites).toBe(EVENTS);
    // Every redelivery was recognised as already stored, and stored nothing.
    expect(f.deliveries).toBeGreaterThan(EVENTS);
    expect(f.duplicatesAbsorbed).toBe(f.deliveries - EVENTS);
    expect(f.items.every((e) => e.status === "processed" && e.attempts === 1)).toBe(true);
  });
});
