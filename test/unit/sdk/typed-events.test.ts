/**
 * Typed events: `new EventFlow<EventTypes>(...)` checks each event's `type` and `data` at
 * compile time. EventTypes (sdk/examples/event-types.ts) has the shape `npm run schemas -- types --tenant T` writes (an
 * exported interface: event type -> its data type). `npm run typecheck` compiles this file:
 * each `@ts-expect-error` below must meet an error, or the typecheck fails ("unused
 * directive"), so a wrong event that compiled would break the build.
 */
import { describe, expect, it } from "vitest";
import type { EventTypes } from "../../../sdk/examples/event-types.js";
import { EventFlow, type EventOf } from "../../../sdk/src/index.js";

const noFetch = (async () => new Response("{}", { status: 401 })) as unknown as typeof fetch;

describe("typed events", () => {
  it("accepts events of the map and refuses others at compile time", async () => {
    const events = new EventFlow<EventTypes>({ url: "http://x", apiKey: "k", fetch: noFetch });
    const ok: EventOf<EventTypes>[] = [
      { type: "purchase", data: { amount: 12 } },
      { type: "purchase", data: { amount: 12, currency: "EUR" }, subject: "user-1" },
      { type: "page_view", data: { url: "/" }, time: new Date() },
      { type: "user.signup", data: { plan: "pro" }, id: "signup-1" },
    ];
    for (const e of ok) events.track(e);

    // @ts-expect-error: unknown event type
    events.track({ type: "purchse", data: { amount: 12 } });
    // @ts-expect-error: amount must be a number
    events.track({ type: "purchase", data: { amount: "12" } });
    // @ts-expect-error: page_view needs data.url
    events.track({ type: "page_view", data: {} });
    // @ts-expect-error: the data of another type
    events.track({ type: "user.signup", data: { url: "/" } });
    // @ts-expect-error: plan is "free" | "pro"
    void events.send({ type: "user.signup", data: { plan: "gold" } });
    // @ts-expect-error: data is required
    void events.send([{ type: "purchase" }]);

    await events.close();
    expect(events.stats().failed).toBe(10);
  });

  it("without a map: any type, any JSON object as data", async () => {
    const events = new EventFlow({ url: "http://x", apiKey: "k", fetch: noFetch });
    events.track({ type: "anything.at.all", data: { nested: { ok: [1, 2] } } });
    // @ts-expect-error: data is an object in native mode
    events.track({ type: "x", data: 12 });
    await events.close();
    expect(events.stats().failed).toBe(2);
  });
});
