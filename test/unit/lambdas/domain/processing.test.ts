/** Pure parts of processing: digest, enrichment, message parsing, backoff, batch tally. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, eventDigest } from "../../../../lambdas/domain/digest.js";
import { enrich, failedEvent, failedMalformed } from "../../../../lambdas/domain/enrich.js";
import type { QueuedEvent } from "../../../../lambdas/domain/event.js";
import {
  MALFORMED_TYPE,
  parseQueuedMessage,
  truncateBody,
} from "../../../../lambdas/domain/message.js";
import { retryDelaySeconds } from "../../../../lambdas/ports/retry-scheduler.js";
import { BatchTally } from "../../../../lambdas/use-cases/batch-tally.js";

const message = (event: Partial<QueuedEvent["event"]> & { type: string }): QueuedEvent => ({
  v: 1,
  tenantId: "acme",
  receivedAt: "2026-11-22T02:15:00.000Z",
  correlationId: "corr-1",
  event: { id: "e-1", data: {}, ...event },
});

describe("digest", () => {
  it("is sha256 of the canonical JSON of type, source, subject, time, data", () => {
    const expected = createHash("sha256")
      .update('{"data":{"a":1,"b":{"x":[1,{"k":2,"z":null}]}},"source":"shop","type":"purchase"}')
      .digest("hex");
    expect(
      eventDigest({
        type: "purchase",
        source: "shop",
        data: { b: { x: [1, { z: null, k: 2 }] }, a: 1 },
      }),
    ).toBe(expected);
  });

  it("ignores key order and undefined fields, not values", () => {
    const a = eventDigest({ type: "t", data: { a: 1, b: 2 }, subject: undefined });
    expect(eventDigest({ type: "t", data: { b: 2, a: 1 } })).toBe(a);
    expect(eventDigest({ type: "t", data: { a: 1, b: 3 } })).not.toBe(a);
    expect(eventDigest({ type: "u", data: { a: 1, b: 2 } })).not.toBe(a);
    expect(eventDigest({ type: "t", data: { a: 1, b: 2 }, time: "2026-01-01T00:00:00Z" })).not.toBe(
      a,
    );
  });

  it("keeps array order and escapes keys", () => {
    expect(canonicalJson([2, 1])).toBe("[2,1]");
    expect(canonicalJson({ 'a"b': "c" })).toBe('{"a\\"b":"c"}');
  });
});

describe("enrich", () => {
  const at = new Date("2026-11-22T02:15:01.500Z");

  it("stamps processedAt, latency, attempts and keeps the correlation id", () => {
    const record = enrich(message({ type: "page_view", data: { url: "/" } }), { at, attempts: 2 });
    expect(record).toEqual({
      id: "e-1",
      tenantId: "acme",
      type: "page_view",
      data: { url: "/" },
      receivedAt: "2026-11-22T02:15:00.000Z",
      correlationId: "corr-1",
      status: "processed",
      attempts: 2,
      processedAt: "2026-11-22T02:15:01.500Z",
      latencyMs: 1500,
    });
  });

  it("records what the rules made of the event (categories: the default rules, rules.test.ts)", () => {
    const route = { rule: "r", destinationId: "dst_x", deliveryId: "dlv_y" };
    const record = enrich(
      message({ type: "purchase", data: { amount: 1200 } }),
      { at, attempts: 1 },
      { rulesetVersion: 4, enrichment: { category: "high_value" }, routes: [route], errors: [] },
    );
    expect(record).toMatchObject({
      rulesetVersion: 4,
      enrichment: { category: "high_value" },
      routes: [route],
    });
    expect(record.ruleErrors).toBeUndefined();
  });

  it("does not report a negative latency when clocks disagree", () => {
    const record = enrich(message({ type: "x" }), {
      at: new Date("2026-11-22T02:14:59.000Z"),
      attempts: 1,
    });
    expect(record.latencyMs).toBe(0);
  });

  it("builds a failed record with failure, failedAt and history", () => {
    const record = failedEvent(message({ type: "purchase", data: { amount: -1 } }), {
      at,
      attempts: 1,
      kind: "business_rule",
      reason: "nope",
    });
    expect(record).toMatchObject({
      status: "failed",
      failedAt: "2026-11-22T02:15:01.500Z",
      failure: { kind: "business_rule", reason: "nope" },
      history: [{ at: "2026-11-22T02:15:01.500Z", action: "failed", detail: "nope" }],
      attempts: 1,
      latencyMs: 1500,
    });
    expect(record.processedAt).toBeUndefined();
    expect(record.enrichment).toBeUndefined();
  });

  it("builds a malformed record, falling back for what the body lacks", () => {
    const record = failedMalformed(
      { tenantId: "acme", id: "e-9", type: MALFORMED_TYPE, data: {} },
      { at, attempts: 3, reason: "bad" },
      "msg-1",
    );
    expect(record).toMatchObject({
      id: "e-9",
      receivedAt: at.toISOString(),
      correlationId: "msg-1",
      failure: { kind: "malformed", reason: "bad" },
      attempts: 3,
    });
  });
});

describe("parseQueuedMessage", () => {
  it("accepts a valid QueuedEvent", () => {
    const m = message({ type: "purchase", data: { amount: 1 } });
    expect(parseQueuedMessage(JSON.stringify(m))).toEqual({ ok: true, message: m });
  });

  it("rejects a body that is not JSON, with nothing to salvage", () => {
    expect(parseQueuedMessage("{nope")).toEqual({ ok: false, reason: "body is not JSON" });
  });

  it("salvages a message of an unknown version that names its tenant and id", () => {
    const body = JSON.stringify({ ...message({ type: "purchase", data: { amount: 1 } }), v: 2 });
    const parsed = parseQueuedMessage(body);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toMatch(/^v: /);
    expect(parsed.salvaged).toMatchObject({
      tenantId: "acme",
      id: "e-1",
      type: "purchase",
      data: { amount: 1 },
      receivedAt: "2026-11-22T02:15:00.000Z",
      correlationId: "corr-1",
    });
  });

  it("salvages with a placeholder type and wraps non-object data", () => {
    const parsed = parseQueuedMessage(
      JSON.stringify({ v: 1, tenantId: "acme", event: { id: "e-2", type: "bad type!", data: 7 } }),
    );
    expect(parsed.ok ? undefined : parsed.salvaged).toMatchObject({
      type: MALFORMED_TYPE,
      data: { value: 7 },
    });
  });

  it.each([
    ["no tenant", { v: 1, event: { id: "e-1", type: "t", data: {} } }],
    ["an invalid tenant", { v: 1, tenantId: "ACME#x", event: { id: "e-1", type: "t", data: {} } }],
    ["an invalid id", { v: 1, tenantId: "acme", event: { id: "a b", type: "t", data: {} } }],
    ["no event", { v: 1, tenantId: "acme" }],
    ["an array", [1, 2]],
  ])("salvages nothing from a body with %s", (_, body) => {
    const parsed = parseQueuedMessage(JSON.stringify(body));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "ok" : parsed.salvaged).toBeUndefined();
  });

  it("truncates bodies for logs", () => {
    expect(truncateBody("abc", 10)).toBe("abc");
    expect(truncateBody("x".repeat(30), 10)).toBe(`${"x".repeat(10)}…(30 chars)`);
  });
});

describe("retryDelaySeconds", () => {
  it("doubles per receive from the base, capped", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelaySeconds(n, 2, 120))).toEqual([
      2, 4, 8, 16, 32, 64, 120, 120,
    ]);
  });
  it("never exceeds SQS's 12 hours, even for huge receive counts", () => {
    expect(retryDelaySeconds(1000, 2, 100_000)).toBe(43_200);
  });
  it("treats a missing or zero receive count as the first", () => {
    expect(retryDelaySeconds(0, 5, 60)).toBe(5);
  });
  it("is 0 with a 0 base (retry at once)", () => {
    expect(retryDelaySeconds(4, 0, 60)).toBe(0);
  });
});

describe("BatchTally", () => {
  it("groups stats by tenant, type and hour of receipt", () => {
    const tally = new BatchTally();
    const at = (time: string) => ({ receivedAt: time });
    tally.add({ tenantId: "a", type: "t", ...at("2026-11-22T02:00:01Z") }, "processed");
    tally.add({ tenantId: "a", type: "t", ...at("2026-11-22T02:59:59Z") }, "processed");
    tally.add({ tenantId: "a", type: "t", ...at("2026-11-22T03:00:00Z") }, "failed");
    tally.add({ tenantId: "a", type: "u", ...at("2026-11-22T02:10:00Z") }, "duplicate");
    tally.add({ tenantId: "b", type: "t", ...at("2026-11-22T02:10:00Z") }, "processed");
    expect(Object.fromEntries(tally.byTenant())).toEqual({
      a: [
        { type: "t", hour: "2026-11-22T02", processed: 2, failed: 0, duplicate: 0 },
        { type: "t", hour: "2026-11-22T03", processed: 0, failed: 1, duplicate: 0 },
        { type: "u", hour: "2026-11-22T02", processed: 0, failed: 0, duplicate: 1 },
      ],
      b: [{ type: "t", hour: "2026-11-22T02", processed: 1, failed: 0, duplicate: 0 }],
    });
    expect(tally.counts).toMatchObject({ processed: 3, failed: 1, duplicate: 1 });
  });
});
