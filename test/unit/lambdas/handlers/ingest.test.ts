/**
 * POST /v1/events through the real handler, a real SQS client and fauxqs: every answer
 * of the API, what reaches the queue, and that nothing does when a request is refused.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LIMITS, type QueuedEvent } from "../../../../lambdas/domain/event.js";
import { UUID_V7_PATTERN } from "../../../../lambdas/domain/ids.js";
import { bodyOf, ingestEvent, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { bodies, drainQueue } from "../../../support/queue.js";

let aws: TestAws;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  aws = await startTestAws(["ingest"]);
  ({ handler } = await import("../../../../lambdas/entry/ingest.js"));
});
afterAll(() => aws.stop());
beforeEach(async () => {
  await drainQueue(aws.sqs, aws.resources.queueUrl);
});

const invoke = (event: APIGatewayProxyEvent) => handler(event, lambdaContext());
const queued = async () => drainQueue(aws.sqs, aws.resources.queueUrl);
const valid = (extra: Record<string, unknown> = {}) => ({
  type: "order.created",
  data: { orderId: "o-1", total: 12.5 },
  ...extra,
});
type Details = {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
};
const detailsOf = (r: APIGatewayProxyResult) => bodyOf<Details>(r).error.details ?? [];

/** A refused request: status, error code, and an empty queue. */
async function expectRefused(event: APIGatewayProxyEvent, status: number, code: string) {
  const result = await invoke(event);
  expect(result.statusCode).toBe(status);
  expect(bodyOf<Details>(result).error.code).toBe(code);
  expect(await queued()).toHaveLength(0);
  return result;
}

describe("single event", () => {
  it("queues it with a generated UUIDv7 id and answers 202 with the JSON headers", async () => {
    const result = await invoke(
      ingestEvent(valid(), { headers: { "x-CORRELATION-id": "corr-123" } }),
    );
    expect(result.statusCode).toBe(202);
    const body = bodyOf<{ id: string; status: string }>(result);
    expect(body.status).toBe("queued");
    expect(body.id).toMatch(UUID_V7_PATTERN);
    expect(result.headers).toMatchObject({
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Correlation-Id": "corr-123",
    });
    const messages = await queued();
    expect(messages).toHaveLength(1);
    const [message] = bodies<QueuedEvent>(messages);
    expect(message).toMatchObject({
      v: 1,
      tenantId: "default",
      correlationId: "corr-123",
      event: { ...valid(), id: body.id },
    });
    expect(new Date(message?.receivedAt ?? "").toISOString()).toBe(message?.receivedAt);
    expect(messages[0]?.MessageAttributes?.correlationId?.StringValue).toBe("corr-123");
  });

  it("keeps a client id, and takes the tenant from the authorizer only", async () => {
    const result = await invoke(ingestEvent(valid({ id: "evt:42" }), { tenantId: "acme" }));
    expect(bodyOf(result)).toEqual({ id: "evt:42", status: "queued" });
    const [message] = bodies<QueuedEvent>(await queued());
    expect(message?.tenantId).toBe("acme");
    expect(message?.event.id).toBe("evt:42");
  });

  it("refuses query parameters (it takes none), queuing nothing", async () => {
    const result = await expectRefused(
      ingestEvent(valid(), { tenantId: "acme", path: "/v1/events?tenantId=evil" }),
      400,
      "validation_failed",
    );
    expect(bodyOf<Details>(result).error.details).toEqual([
      { path: "tenantId", message: "is not a known parameter" },
    ]);
  });

  it("generates a correlation id when none (or an unusable one) is sent, and echoes it", async () => {
    const cases: Record<string, string>[] = [{}, { "X-Correlation-Id": "has spaces in it" }];
    for (const headers of cases) {
      const result = await invoke(ingestEvent(valid(), { headers }));
      const id = result.headers?.["X-Correlation-Id"];
      expect(id).toMatch(UUID_V7_PATTERN);
      const [message] = await queued();
      expect(message?.MessageAttributes?.correlationId?.StringValue).toBe(id);
    }
  });

  it("answers 400 with one error per field, paths and all", async () => {
    const result = await expectRefused(
      ingestEvent({ id: "bad id", data: [1], time: "yesterday", extra: 1 }),
      400,
      "validation_failed",
    );
    const paths = detailsOf(result).map((d) => d.path);
    expect(paths.sort()).toEqual(["data", "extra", "id", "time", "type"]);
    const byPath = Object.fromEntries(detailsOf(result).map((d) => [d.path, d.message]));
    expect(byPath.type).toBe("is required and must be a string");
    expect(byPath.extra).toBe("is not a known field");
  });

  it("answers 413 for an event over 64 KB", async () => {
    const big = valid({ data: { blob: "x".repeat(LIMITS.maxEventBytes) } });
    const result = await expectRefused(ingestEvent(big), 413, "payload_too_large");
    expect(bodyOf<Details>(result).error.message).toMatch(/limit is 65536/);
  });

  it("accepts an event just under 64 KB", async () => {
    const overhead = JSON.stringify(valid({ data: { blob: "" } })).length;
    const event = valid({ data: { blob: "x".repeat(LIMITS.maxEventBytes - overhead) } });
    expect((await invoke(ingestEvent(event))).statusCode).toBe(202);
    expect(await queued()).toHaveLength(1);
  });

  it("decodes base64 bodies, and refuses ones that are not UTF-8", async () => {
    const encoded = Buffer.from(JSON.stringify(valid({ data: { s: "héllo ✓" } }))).toString(
      "base64",
    );
    expect((await invoke(ingestEvent(encoded, { isBase64Encoded: true }))).statusCode).toBe(202);
    const [message] = bodies<QueuedEvent>(await queued());
    expect(message?.event.data).toEqual({ s: "héllo ✓" });
    const latin1 = Buffer.from('{"type":"a","data":{"s":"\xe9"}}', "latin1").toString("base64");
    await expectRefused(ingestEvent(latin1, { isBase64Encoded: true }), 400, "invalid_json");
  });
});

describe("batch", () => {
  it("queues 25 events in chunks and answers a receipt per event", async () => {
    const events = Array.from({ length: 25 }, (_, i) => valid({ data: { n: i } }));
    const result = await invoke(
      ingestEvent({ events }, { headers: { "X-Correlation-Id": "batch-1" } }),
    );
    expect(result.statusCode).toBe(202);
    const body = bodyOf<{
      accepted: number;
      rejected: number;
      results: { index: number; id: string; status: string }[];
    }>(result);
    expect(body).toMatchObject({ accepted: 25, rejected: 0 });
    expect(body.results.map((r) => r.index)).toEqual([...Array(25).keys()]);
    expect(body.results.every((r) => r.status === "queued" && UUID_V7_PATTERN.test(r.id))).toBe(
      true,
    );
    const messages = await queued();
    expect(messages).toHaveLength(25);
    const byId = new Map(bodies<QueuedEvent>(messages).map((m) => [m.event.id, m]));
    for (const r of body.results) expect(byId.get(r.id)?.event.data).toEqual({ n: r.index });
    expect(new Set(bodies<QueuedEvent>(messages).map((m) => m.receivedAt)).size).toBe(1);
    expect(
      messages.every((m) => m.MessageAttributes?.correlationId?.StringValue === "batch-1"),
    ).toBe(true);
  });

  it("rejects invalid events in their own entries and queues the rest", async () => {
    const events = [valid({ id: "a" }), { type: "bad type", data: {} }, valid({ id: "c" })];
    const result = await invoke(ingestEvent({ events }));
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({
      accepted: 2,
      rejected: 1,
      failed: 0,
      results: [
        { index: 0, id: "a", status: "queued" },
        {
          index: 1,
          status: "rejected",
          errors: [{ path: "events[1].type", message: expect.stringMatching(/^must be 1-128/) }],
        },
        { index: 2, id: "c", status: "queued" },
      ],
    });
    expect(
      bodies<QueuedEvent>(await queued())
        .map((m) => m.event.id)
        .sort(),
    ).toEqual(["a", "c"]);
  });

  it("rejects an event over 64 KB in its entry and queues the others", async () => {
    const big = valid({ data: { blob: "x".repeat(LIMITS.maxEventBytes) } });
    const result = await invoke(ingestEvent({ events: [valid({ id: "ok" }), big] }));
    expect(result.statusCode).toBe(202);
    const entry = bodyOf<{ results: { errors?: { path: string; message: string }[] }[] }>(result)
      .results[1];
    expect(entry?.errors).toEqual([
      { path: "events[1]", message: expect.stringMatching(/bytes serialized; the limit is 65536/) },
    ]);
    expect(await queued()).toHaveLength(1);
  });

  it("queues both events of a batch that share an id (the writer dedupes)", async () => {
    const result = await invoke(
      ingestEvent({ events: [valid({ id: "dup" }), valid({ id: "dup" })] }),
    );
    expect(bodyOf(result)).toMatchObject({ accepted: 2 });
    expect(await queued()).toHaveLength(2);
  });

  it("answers 400 with every error when every event is rejected", async () => {
    const result = await expectRefused(
      ingestEvent({ events: [{ type: "a" }, { type: "b", data: {}, x: 1 }, 5] }),
      400,
      "validation_failed",
    );
    expect(detailsOf(result).map((d) => d.path)).toEqual([
      "events[0].data",
      "events[1].x",
      "events[2]",
    ]);
  });

  it("refuses malformed envelopes", async () => {
    const r1 = await expectRefused(ingestEvent({ events: [] }), 400, "validation_failed");
    expect(detailsOf(r1)[0]?.path).toBe("events");
    await expectRefused(ingestEvent({ events: { type: "a" } }), 400, "validation_failed");
    const r3 = await expectRefused(
      ingestEvent({ events: [valid()], extra: true }),
      400,
      "validation_failed",
    );
    expect(detailsOf(r3)).toEqual([{ path: "extra", message: "is not allowed" }]);
  });

  it("answers 413 for more than 500 events", async () => {
    const events = Array.from({ length: LIMITS.maxBatchEvents + 1 }, () => valid());
    await expectRefused(ingestEvent({ events }), 413, "payload_too_large");
  });

  it("queues exactly 500 events", async () => {
    const events = Array.from({ length: LIMITS.maxBatchEvents }, () => valid());
    expect(bodyOf(await invoke(ingestEvent({ events })))).toMatchObject({ accepted: 500 });
    expect(await queued()).toHaveLength(500);
  });
});

describe("refused requests", () => {
  it("answers 413 for a body over 1 MB, even when every event is valid", async () => {
    const events = Array.from({ length: 17 }, () => valid({ data: { blob: "x".repeat(62_000) } }));
    const result = await expectRefused(ingestEvent({ events }), 413, "payload_too_large");
    expect(bodyOf<Details>(result).error.message).toMatch(/limit is 1048576/);
  });

  it("answers 400 invalid_json and says where", async () => {
    const result = await expectRefused(
      ingestEvent('{"type": "a",\n "data": {x}}'),
      400,
      "invalid_json",
    );
    expect(bodyOf<Details>(result).error.message).toBe(
      "Body is not valid JSON: unexpected character at line 2, column 11 (position 24)",
    );
    await expectRefused(ingestEvent('{"type": "a"'), 400, "invalid_json");
  });

  it("answers 400 for an empty body", async () => {
    await expectRefused(ingestEvent(""), 400, "empty_body");
    await expectRefused(ingestEvent(undefined), 400, "empty_body");
    await expectRefused(ingestEvent("  \n"), 400, "empty_body");
  });

  it("answers 400 when the JSON is not an object", async () => {
    for (const body of ["42", '"text"', "[]", `[${JSON.stringify(valid())}]`, "null", "true"]) {
      await expectRefused(ingestEvent(body), 400, "validation_failed");
    }
  });

  it("answers 415 unless the body is declared JSON in UTF-8 (or is a binary-mode CloudEvent)", async () => {
    const body = JSON.stringify(valid());
    const withType = (contentType?: string) => {
      const event = ingestEvent(body);
      event.headers = contentType === undefined ? {} : { "content-type": contentType };
      return event;
    };
    for (const type of [
      undefined,
      "text/plain",
      // A CloudEvents format other than JSON; application/cloudevents+json is structured mode.
      "application/cloudevents+avro",
      "application/cloudevents+json; charset=iso-8859-1",
      "application/json; charset=iso-8859-1",
    ]) {
      await expectRefused(withType(type), 415, "unsupported_media_type");
    }
    for (const type of [
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      'application/json;charset="UTF-8"',
    ]) {
      expect((await invoke(withType(type))).statusCode).toBe(202);
    }
    expect(await queued()).toHaveLength(3);
  });
});

describe("hostile JSON", () => {
  it("rejects __proto__, constructor and prototype keys anywhere, without polluting", async () => {
    const cases: [string, string][] = [
      ['{"type":"a","data":{"__proto__":{"polluted":true}}}', "data.__proto__"],
      [
        '{"type":"a","data":{"x":[{"constructor":{"prototype":{"polluted":true}}}]}}',
        "data.x[0].constructor",
      ],
      ['{"type":"a","data":{},"__proto__":{"polluted":true}}', "__proto__"],
      ['{"events":[{"type":"a","data":{"prototype":1}}]}', "events[0].data.prototype"],
    ];
    for (const [body, path] of cases) {
      const result = await expectRefused(ingestEvent(body), 400, "validation_failed");
      expect(detailsOf(result)).toContainEqual({ path, message: "is a reserved key name" });
    }
    await expectRefused(ingestEvent('{"events":[],"__proto__":{}}'), 400, "validation_failed");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects numbers that would lose precision, with the field's path", async () => {
    const cases: [string, RegExp][] = [
      ["12345678901234567891", /cannot be stored exactly \(it would become 12345678901234567000\)/],
      ["9007199254740993", /cannot be stored exactly/],
      ["0.1234567890123456789012345678901234567890", /cannot be stored exactly/],
      ["1e400", /cannot be stored exactly; send it as a string/],
      ["-1e-200", /outside the storable range/],
      ["1e130", /outside the storable range/],
    ];
    for (const [token, message] of cases) {
      const result = await expectRefused(
        ingestEvent(`{"type":"a","data":{"n":${token}}}`),
        400,
        "validation_failed",
      );
      expect(detailsOf(result)).toEqual([
        { path: "data.n", message: expect.stringMatching(message) },
      ]);
    }
  });

  it("keeps numbers that survive a round trip exactly", async () => {
    const body =
      '{"type":"a","data":{"a":9007199254740991,"b":0.1,"c":1.50,"d":-0,"e":1E3,"f":1e-7,"g":[2.5e10],"h":1e21}}';
    expect((await invoke(ingestEvent(body))).statusCode).toBe(202);
    const [message] = bodies<QueuedEvent>(await queued());
    expect(message?.event.data).toEqual({
      a: 9007199254740991,
      b: 0.1,
      c: 1.5,
      d: 0,
      e: 1000,
      f: 1e-7,
      g: [25_000_000_000],
      h: 1e21,
    });
  });

  it("reports a bad number per event inside a batch", async () => {
    const body = `{"events":[{"type":"a","data":{}},{"type":"a","data":{"list":[1,2,123456789012345678901234]}}]}`;
    const result = await invoke(ingestEvent(body));
    expect(result.statusCode).toBe(202);
    const entry = bodyOf<{ results: { errors?: unknown[] }[] }>(result).results[1];
    expect(entry?.errors).toEqual([
      { path: "events[1].data.list[2]", message: expect.stringMatching(/exactly/) },
    ]);
  });

  it("allows data nested 30 levels, rejects 31, and refuses absurd nesting outright", async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
    expect(
      (await invoke(ingestEvent(`{"type":"a","data":${nested(LIMITS.maxDataDepth)}}`))).statusCode,
    ).toBe(202);
    expect(await queued()).toHaveLength(1);
    const deep = await expectRefused(
      ingestEvent(`{"type":"a","data":${nested(LIMITS.maxDataDepth + 1)}}`),
      400,
      "validation_failed",
    );
    expect(detailsOf(deep)).toEqual([{ path: "data", message: "is nested deeper than 30 levels" }]);
    const absurd = await expectRefused(
      ingestEvent(`{"type":"a","data":${"[".repeat(50_000)}${"]".repeat(50_000)}}`),
      400,
      "validation_failed",
    );
    expect(bodyOf<Details>(absurd).error.message).toMatch(/nested deeper than 128 levels/);
  });
});
