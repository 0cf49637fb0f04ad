/**
 * The CloudEvents mapping on its own (domain/cloudevents.ts): stored ids, header value
 * coding, URI-references, content negotiation, data encodings, and that what ingest
 * builds is a valid queue message the process side stores with its CloudEvent metadata.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkCloudEvent,
  cloudEventStoredId,
  toCloudEvent,
  URI_REFERENCE_PATTERN,
} from "../../lambdas/domain/cloudevents.js";
import { canonicalJson, eventDigest } from "../../lambdas/domain/digest.js";
import { enrich } from "../../lambdas/domain/enrich.js";
import {
  type AcceptedEvent,
  EVENT_ID_PATTERN,
  incomingEventSchema,
  LIMITS,
  type StoredEvent,
} from "../../lambdas/domain/event.js";
import { parseJson } from "../../lambdas/domain/json.js";
import { parseQueuedMessage } from "../../lambdas/domain/message.js";
import {
  checkBinaryCloudEvent,
  decodeHeaderValue,
  encodeHeaderValue,
  prefersCloudEvent,
} from "../../lambdas/http/cloudevents-binding.js";

const accepted = (raw: Record<string, unknown>): AcceptedEvent => {
  const checked = checkCloudEvent(raw, "");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.event;
};

const base = { specversion: "1.0", id: "A-1", source: "/orders", type: "order.created" };

describe("stored ids", () => {
  it("are ce: + the first 43 characters of base64url(sha256(source \\n id))", () => {
    const expected = createHash("sha256").update("/orders\nA-1").digest("base64url").slice(0, 43);
    const id = cloudEventStoredId("/orders", "A-1");
    expect(id).toBe(`ce:${expected}`);
    expect(id).toHaveLength(46);
    expect(id).toMatch(EVENT_ID_PATTERN);
    expect(accepted({ ...base, data: {} }).id).toBe(id);
  });

  it("differ when the source or the id differ, whatever the characters", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        const id = cloudEventStoredId("/s", a);
        expect(id).toMatch(EVENT_ID_PATTERN);
        if (a !== b) expect(cloudEventStoredId("/s", b)).not.toBe(id);
        expect(cloudEventStoredId("/t", a)).not.toBe(id);
      }),
    );
  });

  it("are kept for CloudEvents: a native event may not use the ce: prefix", () => {
    const parsed = incomingEventSchema.safeParse({ id: "ce:abc", type: "t", data: {} });
    expect(parsed.error?.issues[0]?.message).toMatch(/must not start with ce:/);
    expect(incomingEventSchema.safeParse({ id: "evt:ce:1", type: "t", data: {} }).success).toBe(
      true,
    );
  });
});

describe("binary-mode header values (HTTP binding §3.1.3.2)", () => {
  it("decode the spec's example, lower-case hex and quoted strings", () => {
    expect(decodeHeaderValue("Euro%20%E2%82%AC%20%F0%9F%98%80")).toBe("Euro € 😀");
    expect(decodeHeaderValue("%e2%82%ac")).toBe("€");
    expect(decodeHeaderValue('"a \\"quoted\\" value"')).toBe('a "quoted" value');
  });

  it("reject invalid UTF-8, overlong forms included", () => {
    for (const bad of ["%C0%A0", "%FF", "%E2%82", "%zz", "100%"]) {
      expect(decodeHeaderValue(bad)).toBeUndefined();
    }
  });

  it("encode what must be encoded, and round-trip any text", () => {
    expect(encodeHeaderValue("Euro € 😀")).toBe("Euro%20%E2%82%AC%20%F0%9F%98%80");
    expect(encodeHeaderValue('50% "off"')).toBe("50%25%20%22off%22");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        const encoded = encodeHeaderValue(text);
        expect(encoded).toMatch(/^[\x21-\x7e]*$/);
        expect(decodeHeaderValue(encoded)).toBe(text);
      }),
    );
  });
});

describe("attributes", () => {
  it.each([
    ["/orders", true],
    ["https://example.com/a?b=c#d", true],
    ["urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", true],
    ["mailto:ops@example.com", true],
    ["./1:relative", true],
    ["%41%42", true],
    ["1:not-a-scheme", false],
    ["has space", false],
    ["a#b#c", false],
    ["bad%zz", false],
  ])("URI-reference %s: %s", (value, valid) => {
    expect(URI_REFERENCE_PATTERN.test(value)).toBe(valid);
  });

  it("treat null as absent, except for data (an explicit null payload)", () => {
    const event = accepted({ ...base, subject: null, time: null, ext: null, data: null });
    expect(event).toEqual({
      id: cloudEventStoredId("/orders", "A-1"),
      type: "order.created",
      source: "/orders",
      data: { value: null },
      cloudEvent: { specversion: "1.0", id: "A-1", dataEncoding: "json" },
    });
  });

  it("report reserved keys, unstorable numbers and deep data with their paths", () => {
    const body = parseJson(`{"specversion":"1.0","id":"1","source":"/s","type":"t",
        "data":{"__proto__":1,"n":12345678901234567891}}`);
    const checked = checkCloudEvent(body.ok ? body.value : undefined, "[4]");
    expect(checked.ok).toBe(false);
    expect(checked.ok ? [] : checked.errors.map((e) => e.path)).toEqual([
      "[4].data.__proto__",
      "[4].data.n",
    ]);
  });
});

describe("data encodings", () => {
  it.each([
    [{ data: { a: 1 } }, "object", { a: 1 }],
    [{ data: [1, 2] }, "json", { value: [1, 2] }],
    [{ data: "s" }, "json", { value: "s" }],
    [{ data: "<x/>", datacontenttype: "application/xml" }, "text", { value: "<x/>" }],
    [{ data: "s", datacontenttype: "application/vnd.x+json" }, "json", { value: "s" }],
    [{ data_base64: "AAEC" }, "base64", { value: "AAEC" }],
    [{}, "none", {}],
  ])("structured %o is stored as %s", (extra, encoding, data) => {
    const event = accepted({ ...base, ...extra });
    expect(event.cloudEvent?.dataEncoding).toBe(encoding);
    expect(event.data).toEqual(data);
    // ...and renders back to what was sent.
    const rendered = toCloudEvent({
      ...event,
      tenantId: "t",
      status: "processed",
      receivedAt: "2026-11-22T02:00:00.000Z",
      correlationId: "c",
      attempts: 1,
    });
    const { eventflowid: _i, eventflowstatus: _s, ...plain } = rendered;
    expect(plain).toEqual({ ...base, ...extra });
  });

  const binary = (contentType: string | undefined, body: Uint8Array | undefined) =>
    checkBinaryCloudEvent({
      ceHeaders: { "ce-specversion": "1.0", "ce-id": "b", "ce-source": "/b", "ce-type": "t" },
      contentType,
      body,
    });

  it("binary mode: JSON, text, bytes, nothing, and a body that is not the JSON it claims", () => {
    const json = binary("application/json", Buffer.from('{"a":1}'));
    expect(json.ok && json.event.data).toEqual({ a: 1 });
    const text = binary("text/csv", Buffer.from("a,b\n1,2"));
    expect(text.ok && text.event.cloudEvent).toMatchObject({ dataEncoding: "text" });
    const latin1 = binary("text/plain; charset=iso-8859-1", Buffer.from([0x68, 0xe9]));
    expect(latin1.ok && latin1.event.data).toEqual({ value: "aOk=" });
    const none = binary(undefined, undefined);
    expect(none.ok && none.event.cloudEvent).toEqual({
      specversion: "1.0",
      id: "b",
      dataEncoding: "none",
    });
    expect(binary("application/json", Buffer.from("{nope"))).toMatchObject({
      ok: false,
      invalidJson: expect.stringMatching(/not valid JSON/),
    });
  });

  it("binary mode: the event size counts binary data base64-encoded", () => {
    const tooBig = binary("application/octet-stream", Buffer.alloc((LIMITS.maxEventBytes * 3) / 4));
    expect(tooBig).toMatchObject({ ok: false, tooLarge: true });
    expect(binary("application/octet-stream", Buffer.alloc(40_000)).ok).toBe(true);
  });
});

describe("through the queue and the process side", () => {
  const event = accepted({
    ...base,
    subject: "o-1",
    datacontenttype: "application/json",
    dataschema: "https://example.com/s.json",
    traceparent: "00-abc-def-01",
    retries: 3,
    data: { amount: 5 },
  });
  const message = {
    v: 1 as const,
    tenantId: "acme",
    receivedAt: "2026-11-22T02:00:00.000Z",
    correlationId: "c-1",
    event,
  };

  it("what ingest queues is a valid queue message, metadata included", () => {
    const parsed = parseQueuedMessage(JSON.stringify(message));
    expect(parsed).toEqual({ ok: true, message });
  });

  it("the processed record keeps the CloudEvent metadata", () => {
    const record = enrich(message, { at: new Date("2026-11-22T02:00:01.000Z"), attempts: 1 });
    expect(record.cloudEvent).toEqual(event.cloudEvent);
    expect(toCloudEvent(record)).toMatchObject({ traceparent: "00-abc-def-01", retries: 3 });
  });

  it("the digest covers the metadata, and native digests are what they were", () => {
    const other = {
      ...event,
      cloudEvent: { ...event.cloudEvent, extensions: { retries: 4 } },
    } as AcceptedEvent;
    expect(eventDigest(other)).not.toBe(eventDigest(event));
    const native: StoredEvent = {
      id: "n",
      tenantId: "t",
      type: "t",
      source: "s",
      data: { a: 1 },
      status: "processed",
      receivedAt: "x",
      correlationId: "c",
      attempts: 1,
    };
    const before = createHash("sha256")
      .update(
        canonicalJson({
          type: "t",
          source: "s",
          subject: undefined,
          time: undefined,
          data: { a: 1 },
        }),
      )
      .digest("hex");
    expect(eventDigest(native)).toBe(before);
  });
});

describe("rendering native events", () => {
  const native = (source?: string): StoredEvent => ({
    id: "n-1",
    tenantId: "acme",
    type: "t",
    ...(source === undefined ? {} : { source }),
    data: { a: 1 },
    status: "failed",
    receivedAt: "2026-11-22T02:00:00.000Z",
    correlationId: "c",
    attempts: 1,
  });

  it.each([
    [undefined, "/eventflow/acme"],
    ["shop", "shop"],
    ["https://shop.example.com", "https://shop.example.com"],
    ["my shop: main", "my%20shop%3A%20main"],
    ["100% #1 #2", "100%25%20%231%20%232"],
  ])("source %s becomes %s", (source, expected) => {
    const rendered = toCloudEvent(native(source));
    expect(rendered.source).toBe(expected);
    expect(rendered.source).toMatch(URI_REFERENCE_PATTERN);
    expect(rendered).toMatchObject({
      id: "n-1",
      datacontenttype: "application/json",
      eventflowstatus: "failed",
    });
  });
});

describe("content negotiation", () => {
  it.each([
    [undefined, false],
    ["*/*", false],
    ["application/json", false],
    ["application/cloudevents+json", true],
    ["application/cloudevents+json, application/json", true],
    ["application/json, application/cloudevents+json;q=0.5", false],
    ["application/cloudevents+json;q=0.9, */*;q=0.1", true],
    ["application/cloudevents+json;q=0", false],
  ])("Accept %s: CloudEvent %s", (accept, expected) => {
    expect(prefersCloudEvent(accept)).toBe(expected);
  });
});
