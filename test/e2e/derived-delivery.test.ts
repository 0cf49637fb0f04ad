/**
 * A derived event triggers a delivery (issue 18's "Done when"), end to end over HTTP: an
 * aggregation (count windows of 3 per group) and a threshold pattern declared over the
 * API, a webhook destination on a local receiver that verifies every signature with the
 * official `standardwebhooks` library, and rules that route `eventflow.window.closed`
 * (count >= 3) and `eventflow.pattern.matched` to it. The receiver gets exactly one signed
 * delivery of each derived event, carrying the window's measures and the match's event ids;
 * a window below the threshold and events of other types send nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localOnly, type Platform, startPlatform } from "../support/runtime.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { Api, sleep, uniqueType, waitFor } from "./client.js";

let platform: Platform;
let api: Api;
let receiver: WebhookReceiver;

/**
 * Seconds after an event's time that it may still be stored on time (count windows,
 * patterns): above the processing lag of a busy machine, so no event counts as late.
 */
const LATENESS_S = 30;
const HOUR_MS = 3_600_000;

interface WebhookBody {
  type: string;
  data: {
    id: string;
    type: string;
    data: Record<string, unknown>;
  };
}

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  platform = await startPlatform({
    settings: {
      windowSweepSeconds: 1,
      windowFenceSeconds: 1,
      windowConfigCacheSeconds: 1,
      rulesCacheSeconds: 0,
    },
  });
  api = new Api(platform.url);
});

afterAll(async () => {
  await platform?.stop();
  await receiver?.stop();
});

describe.runIf(localOnly)("derived events routed to a destination", () => {
  it("a closed window and a pattern match each reach a webhook once, signed, with their figures", async () => {
    // Count windows restart at each hour (`per`): do not straddle one.
    const toHour = HOUR_MS - (Date.now() % HOUR_MS);
    if (toHour < 90_000) await sleep(toHour + 1000);

    const type = uniqueType("derived");
    const name = type.replaceAll(".", "-");
    const aggregation = await api.request("PUT", `/v1/aggregations/${name}`, {
      match: { type: [type] },
      groupBy: ["subject"],
      measures: [
        { name: "orders", op: "count" },
        { name: "revenue", op: "sum", path: "data.amount" },
        { name: "largest", op: "max", path: "data.amount" },
      ],
      window: { kind: "count", count: 3 },
      allowedLateness: `${LATENESS_S}s`,
    });
    expect(aggregation.status, aggregation.text).toBe(201);
    const pattern = await api.request("PUT", `/v1/patterns/${name}`, {
      kind: "threshold",
      key: "subject",
      within: "5m",
      count: 3,
      allowedLateness: `${LATENESS_S}s`,
      steps: [{ match: { type: [type] } }],
    });
    expect(pattern.status, pattern.text).toBe(201);

    const created = await api.request<{ id: string; secret: string }>("POST", "/v1/destinations", {
      kind: "webhook",
      name: `alerts ${name}`,
      url: `${receiver.url}/alerts`,
    });
    expect(created.status, created.text).toBe(201);
    receiver.secrets.push(created.body.secret);
    const destination = created.body.id;
    const rules = await api.request("PUT", "/v1/rules", {
      rules: [
        {
          name: "busy-windows",
          match: {
            type: ["eventflow.window.closed"],
            data: { aggregation: [name], count: [{ numeric: [">=", 3] }] },
          },
          actions: [{ type: "route", destinations: [destination] }],
        },
        {
          name: "bursts",
          match: { type: ["eventflow.pattern.matched"], data: { pattern: [name] } },
          actions: [{ type: "route", destinations: [destination] }],
        },
      ],
    });
    expect(rules.status, rules.text).toBe(200);
    // The declarations apply to events processed after windowConfigCacheSeconds.
    await sleep(2500);

    // user-1: three purchases (a full window, a burst); user-2: two (below both thresholds).
    const now = Date.now();
    const events = [
      { subject: "user-1", amount: 30 },
      { subject: "user-2", amount: 5 },
      { subject: "user-1", amount: 1250 },
      { subject: "user-1", amount: 20 },
      { subject: "user-2", amount: 7 },
    ].map((e, i) => ({
      id: `${name}-${i}`,
      type,
      subject: e.subject,
      time: new Date(now - 2000 + i * 10).toISOString(),
      data: { amount: e.amount },
    }));
    const ids = await api.sendBatch(events);
    await api.settledAll(ids);

    const delivered = await waitFor(
      async () => {
        const got = receiver.received.filter((r) => r.path === "/alerts");
        return got.length >= 2 ? got : undefined;
      },
      120_000,
      "the window.closed and pattern.matched deliveries",
    );
    // Nothing more arrives: one delivery per derived event, none for user-2.
    await sleep(3000);
    const all = receiver.received.filter((r) => r.path === "/alerts");
    expect(all).toHaveLength(2);
    expect(all.every((r) => r.verified && r.status === 200)).toBe(true);
    expect(new Set(all.map((r) => r.id)).size).toBe(2);

    const bodies = delivered.map((r) => r.body as WebhookBody);
    const closed = bodies.find((b) => b.type === "eventflow.window.closed");
    expect(closed?.data.data).toMatchObject({
      aggregation: name,
      group: { subject: "user-1" },
      count: 3,
      measures: { orders: 3, revenue: 1300, largest: 1250 },
      late: 0,
    });
    const matched = bodies.find((b) => b.type === "eventflow.pattern.matched");
    expect(matched?.data.data).toMatchObject({
      pattern: name,
      kind: "threshold",
      key: "user-1",
      eventIds: [ids[0], ids[2], ids[3]],
    });

    // The delivery log agrees: two deliveries, both delivered on the first attempt.
    const log = await api.request<{ items: { status: string; attemptCount: number }[] }>(
      "GET",
      `/v1/deliveries?destination=${destination}`,
    );
    expect(log.status, log.text).toBe(200);
    expect(log.body.items.map((d) => [d.status, d.attemptCount])).toEqual([
      ["delivered", 1],
      ["delivered", 1],
    ]);
    await api.request("DELETE", "/v1/rules");
  });
});
