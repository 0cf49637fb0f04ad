/**
 * The producer SDK (sdk/src) against a scripted fetch: how it cuts batches (count, bytes,
 * time), what it retries and what it never does (resend a rejected event, give a retried
 * event a new id), the queue's overflow policy, close(), and CloudEvents mode.
 * The same client against the real local runtime, through faults: test/e2e/sdk-faults.test.ts.
 */
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../../lambdas/domain/event.js";
import { UUID_V7_PATTERN } from "../../../lambdas/domain/ids.js";
import {
  API_LIMITS,
  backoffMs,
  EventFlow,
  type EventFlowError,
  type EventFlowOptions,
  retryAfterMs,
  uuidv7,
} from "../../../sdk/src/index.js";
import { utf8Length, utf8LengthJs } from "../../../sdk/src/limits.js";

interface Call {
  body: string;
  headers: Record<string, string>;
  at: number;
  events: { id: string; type: string; data: Record<string, unknown> }[];
}

type Reply = (call: Call, n: number) => Response | Promise<Response> | "network";

/** A fetch that records every request and answers with `reply` (default: all queued). */
function fakeApi(reply: Reply = queuedAll) {
  const calls: Call[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const body = String(init.body);
    const parsed = JSON.parse(body) as { events?: Call["events"] } | Call["events"];
    const events = Array.isArray(parsed) ? parsed : (parsed.events ?? []);
    const call: Call = {
      body,
      headers: init.headers as Record<string, string>,
      at: Date.now(),
      events,
    };
    calls.push(call);
    const answer = await reply(call, calls.length);
    if (answer === "network")
      throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
    return answer;
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

function queuedAll(call: Call): Response {
  return json(202, {
    accepted: call.events.length,
    rejected: 0,
    failed: 0,
    results: call.events.map((e, index) => ({ index, id: e.id, status: "queued" })),
  });
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

function client(fetch: typeof globalThis.fetch, options: Partial<EventFlowOptions> = {}) {
  const errors: EventFlowError[] = [];
  const c = new EventFlow({
    url: "http://api.test/",
    apiKey: "efk_test",
    fetch,
    retryBaseMs: 5,
    retryMaxMs: 20,
    onError: (e) => errors.push(e),
    ...options,
  });
  return { c, errors };
}

const ev = (i: number, data: Record<string, unknown> = {}) => ({
  type: "page_view",
  data: { url: `/p/${i}`, ...data },
});

describe("batches", () => {
  it("by count: full batches go at once, the rest on flush", async () => {
    const api = fakeApi();
    const { c } = client(api.fetch, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 1200; i++) c.track(ev(i));
    await c.flush();
    expect(api.calls.map((call) => call.events.length)).toEqual([500, 500, 200]);
    expect(api.calls[0]?.headers).toMatchObject({
      authorization: "Bearer efk_test",
      "content-type": "application/json",
    });
    expect(c.stats()).toMatchObject({ accepted: 1200, queued: 0, inFlight: 0, requests: 3 });
  });

  it("by bytes: no body over 1 MiB, no event over 64 KiB sent", async () => {
    const api = fakeApi();
    const { c, errors } = client(api.fetch, { flushIntervalMs: 60_000 });
    const pad = "x".repeat(60_000);
    for (let i = 0; i < 40; i++) c.track(ev(i, { pad }));
    c.track(ev(99, { pad: "é".repeat(40_000) })); // 80,000 bytes as UTF-8
    await c.flush();
    const sizes = api.calls.map((call) => Buffer.byteLength(call.body));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(API_LIMITS.maxBodyBytes);
    expect(api.calls.reduce((n, call) => n + call.events.length, 0)).toBe(40);
    expect(api.calls.length).toBe(3); // 17 + 17 + 6 events of ~60 KB
    expect(errors.map((e) => e.kind)).toEqual(["rejected"]);
    expect(errors[0]?.receipts[0]).toMatchObject({ status: "rejected" });
    expect(c.stats().rejected).toBe(1);
  });

  it("by time: a lone event waits at most flushIntervalMs", async () => {
    const api = fakeApi();
    const { c } = client(api.fetch, { flushIntervalMs: 50 });
    const start = Date.now();
    c.track(ev(1));
    c.track(ev(2));
    while (api.calls.length === 0) await sleep(5);
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
    expect(api.calls[0]?.events.length).toBe(2);
    await c.close();
  });

  it("the server's limits are the SDK's", () => {
    expect(API_LIMITS).toEqual({
      maxBatchEvents: LIMITS.maxBatchEvents,
      maxBodyBytes: LIMITS.maxBodyBytes,
      maxEventBytes: LIMITS.maxEventBytes,
    });
    for (const s of ["", "abc", "é", "€", "😀", "a\ud800b", "x".repeat(1000)]) {
      expect(utf8Length(s), s).toBe(Buffer.byteLength(s));
      expect(utf8LengthJs(s), s).toBe(Buffer.byteLength(s));
    }
  });
});

describe("retries never duplicate", () => {
  it("network errors, 5xx, 503 and 429 are retried with the same ids", async () => {
    const script: Reply[] = [
      () => "network",
      () => json(500, { error: { code: "internal", message: "boom" } }),
      () => json(503, { error: { code: "queue_unavailable", message: "retry later" } }),
      () =>
        json(429, { error: { code: "throttled", message: "slow down" } }, { "retry-after": "0" }),
      queuedAll,
    ];
    const api = fakeApi((call, n) => (script[n - 1] ?? queuedAll)(call, n));
    const { c } = client(api.fetch);
    const receipts = await c.send([ev(1), ev(2), ev(3)]);
    expect(api.calls.length).toBe(5);
    const ids = api.calls.map((call) => call.events.map((e) => e.id).join());
    expect(new Set(ids).size).toBe(1);
    for (const id of ids[0]?.split(",") ?? []) expect(id).toMatch(UUID_V7_PATTERN);
    expect(receipts.map((r) => r.status)).toEqual(["queued", "queued", "queued"]);
    expect(c.stats()).toMatchObject({ accepted: 3, retries: 4, requests: 5 });
  });

  it("honours Retry-After, and holds the client's other requests back meanwhile", async () => {
    const api = fakeApi((call, n) =>
      n === 1
        ? json(429, { error: { code: "throttled" } }, { "retry-after": "1" })
        : queuedAll(call),
    );
    const { c } = client(api.fetch, { maxBatchEvents: 1, maxInFlight: 1 });
    await c.send(ev(1));
    const [first, second] = api.calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 3000).toUTCString())).toBeGreaterThan(1000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("per-event rejections are reported, never retried; entries not queued are retried", async () => {
    const api = fakeApi((call, n) => {
      if (n > 1) return queuedAll(call);
      return json(202, {
        accepted: 1,
        rejected: 1,
        failed: 1,
        results: [
          { index: 0, id: call.events[0]?.id, status: "queued" },
          { index: 1, status: "rejected", errors: [{ path: "events[1].data", message: "bad" }] },
          { index: 2, id: call.events[2]?.id, status: "failed", reason: "SQS said no" },
        ],
      });
    });
    const { c, errors } = client(api.fetch);
    const receipts = await c.send([ev(0), ev(1), ev(2)]);
    expect(receipts.map((r) => r.status)).toEqual(["queued", "rejected", "queued"]);
    expect(api.calls.map((call) => call.events.length)).toEqual([3, 1]);
    expect(api.calls[1]?.events[0]?.id).toBe(api.calls[0]?.events[2]?.id);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: "rejected" });
    expect(errors[0]?.receipts[0]).toMatchObject({
      status: "rejected",
      errors: [{ message: "bad" }],
    });
  });

  it("a batch rejected as a whole (400) maps the details to its events", async () => {
    const api = fakeApi(() =>
      json(400, {
        error: {
          code: "validation_failed",
          message: "Every event in the batch was rejected",
          details: [
            { path: "events[0].data.amount", message: "must be > 0" },
            { path: "events[1].type", message: "is required" },
          ],
        },
      }),
    );
    const { c } = client(api.fetch);
    const receipts = await c.send([ev(0), ev(1)]);
    expect(receipts).toMatchObject([
      { status: "rejected", errors: [{ path: "data.amount", message: "must be > 0" }] },
      { status: "rejected", errors: [{ path: "type", message: "is required" }] },
    ]);
    expect(api.calls.length).toBe(1);
  });

  it("a request refused as a whole (401) fails at once; retries run out into failed", async () => {
    const unauthorized = fakeApi(() =>
      json(401, { error: { code: "unauthorized", message: "no" } }),
    );
    const a = client(unauthorized.fetch);
    const [r] = await a.c.send([ev(0)]);
    expect(r).toMatchObject({ status: "failed" });
    expect(unauthorized.calls.length).toBe(1);
    expect(a.errors[0]).toMatchObject({ kind: "failed", status: 401 });

    const down = fakeApi(() => "network");
    const b = client(down.fetch, { maxRetries: 3 });
    const [s] = await b.c.send([ev(0)]);
    expect(s?.status).toBe("failed");
    expect(down.calls.length).toBe(4);
    expect(b.errors[0]?.message).toMatch(/gave up after 4 attempts.*ECONNRESET/);
  });

  it("413 for a batch: resent in halves", async () => {
    const api = fakeApi((call) =>
      call.events.length > 2
        ? json(413, { error: { code: "payload_too_large" } })
        : queuedAll(call),
    );
    const { c } = client(api.fetch);
    const receipts = await c.send([0, 1, 2, 3, 4].map((i) => ev(i)));
    expect(receipts.every((r) => r.status === "queued")).toBe(true);
    expect(api.calls.map((call) => call.events.length)).toEqual([5, 3, 2, 1, 2]);
  });

  it("backoff grows exponentially, with full jitter, up to the cap", () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 100, 1000, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffMs(5, 100, 1000, () => 0)).toBe(0);
  });
});

describe("the queue", () => {
  /** A fetch that holds every request until released. */
  function heldApi() {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const api = fakeApi(async (call) => {
      await gate;
      return queuedAll(call);
    });
    return { ...api, release };
  }

  it("track on a full queue drops the oldest waiting event, counted and reported", async () => {
    const api = heldApi();
    const { c, errors } = client(api.fetch, {
      maxQueueEvents: 500,
      maxInFlight: 1,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 1100; i++) c.track(ev(i));
    // 500 in flight, 500 waiting, 100 of those dropped (the oldest waiting: 500-599).
    expect(c.stats()).toMatchObject({ queued: 500, inFlight: 500, dropped: 100 });
    expect(errors.filter((e) => e.kind === "dropped")).toHaveLength(100);
    api.release();
    await c.flush();
    const sent = api.calls.flatMap((call) => call.events.map((e) => e.data.url));
    expect(sent).toHaveLength(1000);
    expect(sent).not.toContain("/p/599");
    expect(sent).toContain("/p/600");
  });

  it("send waits for room, never drops", async () => {
    const api = heldApi();
    const { c } = client(api.fetch, { maxQueueEvents: 500, maxInFlight: 1 });
    const sending = c.send(Array.from({ length: 1500 }, (_, i) => ev(i)));
    await sleep(20);
    expect(c.stats()).toMatchObject({ inFlight: 500, queued: 500, dropped: 0 });
    api.release();
    const receipts = await sending;
    expect(receipts.filter((r) => r.status === "queued")).toHaveLength(1500);
    expect(c.stats().dropped).toBe(0);
  });

  it("close flushes, waits for retries, then refuses new events", async () => {
    const api = fakeApi((call, n) => (n === 1 ? "network" : queuedAll(call)));
    const { c, errors } = client(api.fetch, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) c.track(ev(i));
    await c.close();
    expect(c.stats()).toMatchObject({ accepted: 10, queued: 0, inFlight: 0, retries: 1 });
    c.track(ev(11));
    expect(errors.map((e) => e.kind)).toEqual(["closed"]);
    await expect(c.send(ev(12))).rejects.toMatchObject({ kind: "closed" });
    expect(api.calls.length).toBe(2);
  });
});

describe("events on the wire", () => {
  it("native: the caller's id is the idempotency key; Date times become RFC 3339", async () => {
    const api = fakeApi();
    const { c } = client(api.fetch, { source: "shop" });
    await c.send({
      id: "order-1",
      type: "purchase",
      subject: "user-1",
      time: new Date("2026-12-06T10:00:00Z"),
      data: { amount: 12 },
    });
    expect(JSON.parse(api.calls[0]?.body ?? "")).toEqual({
      events: [
        {
          id: "order-1",
          type: "purchase",
          subject: "user-1",
          time: "2026-12-06T10:00:00.000Z",
          data: { amount: 12 },
          source: "shop",
        },
      ],
    });
  });

  it("CloudEvents mode: the JSON batch format, a default source, the server's stored id", async () => {
    const api = fakeApi((call) =>
      json(202, {
        accepted: 1,
        rejected: 0,
        failed: 0,
        results: [{ index: 0, id: "ce:abc", ceId: call.events[0]?.id, status: "queued" }],
      }),
    );
    const { c } = client(api.fetch, { mode: "cloudevents" });
    const receipt = await c.send({ type: "purchase", data: { amount: 12 } });
    expect(api.calls[0]?.headers["content-type"]).toBe("application/cloudevents-batch+json");
    const [sent] = JSON.parse(api.calls[0]?.body ?? "") as Record<string, unknown>[];
    expect(sent).toMatchObject({
      specversion: "1.0",
      source: "eventflow-sdk",
      type: "purchase",
      datacontenttype: "application/json",
      data: { amount: 12 },
    });
    expect(receipt).toMatchObject({ status: "queued", id: "ce:abc", ceId: sent?.id });
  });

  it("uuidv7: version 7, variant 10, ordered even within one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_765_000_000_000));
    for (const id of ids) expect(id).toMatch(UUID_V7_PATTERN);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(uuidv7().slice(0, 8)).toBe(Date.now().toString(16).padStart(12, "0").slice(0, 8));
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
