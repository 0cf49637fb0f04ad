/**
 * Duplicates (issue item 5): the same id in one batch, across batches, and from several
 * clients at once; and the same id with different content (a conflict: the first write
 * is kept, the conflict counted). The id is the idempotency key: one record per id,
 * every other copy counted as a duplicate (and, if its content differs, a conflict).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { Api, type EventInput, uniqueType, waitFor } from "./client.js";
import { figures, progress, sendAll } from "./reliability.js";

let platform: Platform;
let api: Api;

const CLIENTS = 4;

beforeAll(async () => {
  platform = await startPlatform();
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
});

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Waits until every message sent so far has been handled (written or found a duplicate). */
async function settled(before: Awaited<ReturnType<typeof progress>>, messages: number) {
  await waitFor(
    async () => {
      const now = await progress(api);
      const done = ["EventsProcessed", "EventsFailed", "EventsDuplicate"].reduce(
        (n, m) => n + now.metric(m) - before.metric(m),
        0,
      );
      return done >= messages || undefined;
    },
    60_000,
    `${messages} messages to be handled`,
    300,
  );
  await api.queuesEmpty(60_000);
}

describe.skipIf(!localOnly)("reliability: one id, one record", () => {
  it("same id in one batch, across batches and from 4 clients at once: stored once", async () => {
    const type = uniqueType("dups");
    const before = await progress(api);
    const event = (id: string): EventInput => ({ id, type, data: { same: true } });
    const inBatch = ids(`in-batch-${type}`, 100);
    const across = ids(`across-${type}`, 100);
    const concurrent = ids(`concurrent-${type}`, 100);
    let sent = 0;
    const accepted: string[] = [];
    const send = async (batch: EventInput[]) => {
      sent += batch.length;
      const r = await sendAll(api, batch, { batchSize: 200, clients: 1 });
      expect(r.refused).toEqual([]);
      accepted.push(...r.accepted);
    };
    // Each id twice in the same request.
    await send(inBatch.flatMap((id) => [event(id), event(id)]));
    // Each id in three requests, one after another.
    for (let round = 0; round < 3; round++) await send(across.map(event));
    // Each id from four clients at the same moment.
    await Promise.all(Array.from({ length: CLIENTS }, () => send(concurrent.map(event))));
    const distinct = new Set(accepted).size;
    expect(accepted).toHaveLength(sent);
    expect(distinct).toBe(300);
    await settled(before, sent);
    const f = await figures(api, { test: "duplicates", sent, accepted, type, before });
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(distinct);
    expect(f.firstWrites).toBe(distinct);
    expect(f.duplicatesAbsorbed).toBe(sent - distinct);
    expect(f.items.every((e) => e.status === "processed" && e.data.same === true)).toBe(true);
    const stats = await api.stats(type);
    expect(stats).toEqual({ processed: distinct, failed: 0, duplicate: sent - distinct });
  });

  it("same id, different content: the first write is kept and the conflict counted", async () => {
    const type = uniqueType("conflict");
    const before = await progress(api);
    const later = ids(`later-${type}`, 50);
    const racing = ids(`racing-${type}`, 50);
    // First versions, stored before the second versions are sent.
    const first = await sendAll(
      api,
      later.map((id) => ({ id, type, data: { version: "first" } })),
    );
    await settled(before, later.length);
    const second = await sendAll(
      api,
      later.map((id) => ({ id, type, data: { version: "second" } })),
    );
    // Four clients race with four different payloads for each id.
    const race = await Promise.all(
      Array.from({ length: CLIENTS }, (_, client) =>
        sendAll(
          api,
          racing.map((id) => ({ id, type, data: { version: `client-${client}` } })),
          { clients: 1 },
        ),
      ),
    );
    const accepted = [first, second, ...race].flatMap((r) => r.accepted);
    const sent = later.length * 2 + racing.length * CLIENTS;
    expect(accepted).toHaveLength(sent);
    await settled(before, sent);
    const conflicts =
      (await progress(api)).metric("EventsConflict") - before.metric("EventsConflict");
    const f = await figures(api, {
      test: "conflicts",
      sent,
      accepted,
      type,
      before,
      extra: { conflictsCounted: conflicts },
    });
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedOnce).toBe(100);
    // Every copy after the first differs from the stored one: each is a conflict.
    expect(conflicts).toBe(sent - 100);
    const byId = new Map(f.items.map((e) => [e.id, e]));
    expect(later.every((id) => byId.get(id)?.data.version === "first")).toBe(true);
    // In the race, whichever write won is kept whole: one client's payload, never a mix.
    for (const id of racing) {
      expect(byId.get(id)?.data.version).toMatch(/^client-[0-3]$/);
    }
  });
});
