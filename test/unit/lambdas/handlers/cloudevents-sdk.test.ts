/**
 * CloudEvents 1.0 end to end with the official SDK (`cloudevents`) as the client: the SDK
 * builds structured, binary and batched requests, the ingest handler accepts them, the
 * process handler stores them from real queue messages, and the query handler gives them
 * back, as JSON and as a structured CloudEvent that the SDK parses (HTTP.toEvent) into
 * the event that was sent.
 */
import { DeleteMessageBatchCommand, type Message } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { CloudEvent, HTTP } from "cloudevents";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cloudEventStoredId } from "../../../../lambdas/domain/cloudevents.js";
import type { StoredEvent } from "../../../../lambdas/domain/event.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { drainQueue } from "../../../support/queue.js";
import {
  receiveNow,
  sqsEvent,
  lambdaContext as sqsLambdaContext,
  toRecord,
} from "./process-fixtures.js";

type ApiHandler = (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

let aws: TestAws;
let ingest: ApiHandler;
let query: ApiHandler;
let processHandler: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  aws = await startTestAws(["ingest", "process", "query"]);
  ({ handler: ingest } = await import("../../../../lambdas/entry/ingest.js"));
  query = await aws.handler("query");
  ({ handler: processHandler } = await import("../../../../lambdas/entry/process.js"));
});
afterAll(() => aws.stop());
beforeEach(async () => {
  await drainQueue(aws.sqs, aws.resources.queueUrl);
});

interface SdkMessage {
  headers: Record<string, unknown>;
  body: unknown;
}

/** The request API Gateway would hand the ingest function for an SDK-built message. */
function requestOf(message: SdkMessage): APIGatewayProxyEvent {
  // HTTP headers are text: the SDK leaves extension values as numbers or booleans.
  const headers = Object.fromEntries(
    Object.entries(message.headers).map(([name, value]) => [name, String(value)]),
  );
  // Binary media types (application/octet-stream, ...) arrive base64-encoded.
  const binary = message.body instanceof Uint8Array;
  const body =
    message.body === undefined || message.body === null
      ? undefined
      : binary
        ? Buffer.from(message.body as Uint8Array).toString("base64")
        : String(message.body);
  return apiEvent({
    method: "POST",
    path: "/v1/events",
    headers,
    body,
    isBase64Encoded: binary,
    tenantId: "acme",
  });
}

const asText = (message: SdkMessage) => ({
  headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)])),
  body: message.body as string,
});

async function send(message: SdkMessage) {
  const result = await ingest(requestOf(message), lambdaContext());
  return { status: result.statusCode, body: bodyOf<Record<string, unknown>>(result) };
}

/** Receives what ingest queued, runs the process handler on it as Lambda would. */
async function processQueued(expected: number): Promise<void> {
  const messages: Message[] = [];
  for (let tries = 0; messages.length < expected && tries < 30; tries++) {
    messages.push(...(await receiveNow(aws.sqs, aws.resources.queueUrl, 1)));
  }
  expect(messages).toHaveLength(expected);
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const records = chunk.map((m) => toRecord(m, aws.resources.queueArn));
    const response = await processHandler(sqsEvent(records), sqsLambdaContext("process"));
    expect(response.batchItemFailures).toEqual([]);
    await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: aws.resources.queueUrl,
        Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

const get = (id: string, headers: Record<string, string> = {}) =>
  query(
    apiEvent({ path: `/v1/events/${encodeURIComponent(id)}`, headers, tenantId: "acme" }),
    lambdaContext(),
  );

/** GET /v1/events/{id} as a CloudEvent, parsed by the SDK. */
async function getAsCloudEvent(id: string): Promise<CloudEvent<unknown>> {
  const result = await get(id, { Accept: "application/cloudevents+json" });
  expect(result.statusCode).toBe(200);
  expect(result.headers?.["Content-Type"]).toBe("application/cloudevents+json; charset=utf-8");
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const parsed = HTTP.toEvent({ headers, body: result.body });
  if (Array.isArray(parsed)) throw new Error("expected one CloudEvent");
  return parsed as CloudEvent<unknown>;
}

/** A CloudEvent as plain JSON, without the extensions EventFlow adds. */
function plain(event: CloudEvent<unknown>): Record<string, unknown> {
  const {
    eventflowid: _id,
    eventflowstatus: _status,
    ...rest
  } = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  return rest;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${++seq}`;

const orderEvent = (extra: Record<string, unknown> = {}) =>
  new CloudEvent({
    specversion: "1.0",
    id: unique("order"),
    source: "https://shop.example.com/orders",
    type: "com.example.order.created",
    subject: "order-42",
    time: "2026-11-22T02:00:00.000Z",
    datacontenttype: "application/json",
    dataschema: "https://shop.example.com/schemas/order-created.json",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    priority: 7,
    urgent: true,
    data: { orderId: "o-42", lines: [{ sku: "A-1", qty: 2 }], total: 12.5 },
    ...extra,
  });

describe("CloudEvents from the SDK, stored and read back", () => {
  it("structured mode: every attribute and extension comes back, as JSON and as a CloudEvent", async () => {
    const ce = orderEvent();
    const message = HTTP.structured(ce);
    expect(message.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);

    const receipt = await send(message);
    const storedId = cloudEventStoredId(ce.source, ce.id);
    expect(receipt).toEqual({ status: 202, body: { id: storedId, ceId: ce.id, status: "queued" } });
    await processQueued(1);

    const json = await get(storedId);
    expect(json.statusCode).toBe(200);
    expect(bodyOf<StoredEvent>(json)).toMatchObject({
      id: storedId,
      tenantId: "acme",
      type: ce.type,
      source: ce.source,
      subject: "order-42",
      time: "2026-11-22T02:00:00.000Z",
      data: ce.data as Record<string, unknown>,
      status: "processed",
      cloudEvent: {
        specversion: "1.0",
        id: ce.id,
        datacontenttype: "application/json",
        dataschema: ce.dataschema,
        extensions: { traceparent: ce.traceparent, priority: 7, urgent: true },
        dataEncoding: "object",
      },
    });

    const back = await getAsCloudEvent(storedId);
    expect(plain(back)).toEqual(JSON.parse(message.body as string));
    expect(back.eventflowid).toBe(storedId);
    expect(back.eventflowstatus).toBe("processed");
  });

  it("binary mode: headers and a JSON body, read back as the SDK reads the request", async () => {
    const ce = orderEvent({ datacontenttype: undefined });
    const message = HTTP.binary(ce);
    expect(message.headers["ce-id"]).toBe(ce.id);

    const receipt = await send(message);
    const storedId = cloudEventStoredId(ce.source, ce.id);
    expect(receipt.body).toEqual({ id: storedId, ceId: ce.id, status: "queued" });
    await processQueued(1);

    // What the SDK itself makes of the request (header values are strings on the wire).
    const sent = HTTP.toEvent(asText(message)) as CloudEvent<unknown>;
    expect(plain(await getAsCloudEvent(storedId))).toEqual(JSON.parse(JSON.stringify(sent)));
    const stored = bodyOf<StoredEvent>(await get(storedId));
    expect(stored.cloudEvent?.extensions).toEqual({
      traceparent: ce.traceparent,
      priority: "7",
      urgent: "true",
    });
    expect(stored.data).toEqual(ce.data);
  });

  it("binary mode: binary data is stored base64 with its datacontenttype and comes back byte for byte", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 0x80]);
    const ce = new CloudEvent({
      id: unique("blob"),
      source: "/sensors/7",
      type: "com.example.sensor.frame",
      datacontenttype: "application/octet-stream",
      time: "2026-11-22T02:00:00.000Z",
      data: bytes,
    });
    const message = HTTP.binary(ce);
    expect((await send(message)).status).toBe(202);
    await processQueued(1);
    const storedId = cloudEventStoredId(ce.source, ce.id);
    const stored = bodyOf<StoredEvent>(await get(storedId));
    expect(stored.data).toEqual({ value: bytes.toString("base64") });
    expect(stored.cloudEvent).toMatchObject({
      datacontenttype: "application/octet-stream",
      dataEncoding: "base64",
    });
    const back = await getAsCloudEvent(storedId);
    expect(back.data_base64).toBe(bytes.toString("base64"));
    expect(Buffer.from(back.data as Uint8Array).equals(bytes)).toBe(true);
    expect(back.datacontenttype).toBe("application/octet-stream");
  });

  it("binary mode: text data, percent-encoded header values and a quoted value", async () => {
    const id = unique("note");
    const request = apiEvent({
      method: "POST",
      path: "/v1/events",
      tenantId: "acme",
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        "CE-SpecVersion": "1.0",
        "ce-id": id,
        "ce-source": "/notes",
        "ce-type": "com.example.note",
        "ce-subject": "Euro%20%E2%82%AC%20%F0%9F%98%80",
        "ce-comment": '"quoted value"',
      },
      body: "héllo, wörld",
    });
    const result = await ingest(request, lambdaContext());
    expect(result.statusCode).toBe(202);
    await processQueued(1);
    const back = await getAsCloudEvent(cloudEventStoredId("/notes", id));
    expect(back.subject).toBe("Euro € 😀");
    expect(back.comment).toBe("quoted value");
    expect(back.data).toBe("héllo, wörld");
    expect(back.datacontenttype).toBe("text/plain; charset=utf-8");
  });

  it("batched mode: each event gets its receipt; data of any JSON type and no data round-trip", async () => {
    const events: CloudEvent<unknown>[] = [
      orderEvent(),
      new CloudEvent({ id: unique("a"), source: "/x", type: "t.array", data: [1, "two", null] }),
      new CloudEvent({ id: unique("s"), source: "/x", type: "t.string", data: "just a string" }),
      new CloudEvent({
        id: unique("x"),
        source: "/x",
        type: "t.xml",
        datacontenttype: "application/xml",
        data: '<much wow="xml"/>',
      }),
      new CloudEvent({ id: unique("n"), source: "/x", type: "t.none" }),
    ];
    // The SDK has no batch emitter: the JSON batch format is an array of structured events.
    const body = JSON.stringify(events.map((e) => JSON.parse(HTTP.structured(e).body as string)));
    const message = { headers: { "content-type": "application/cloudevents-batch+json" }, body };
    const receipt = await send(message);
    expect(receipt.status).toBe(202);
    expect(receipt.body).toEqual({
      accepted: 5,
      rejected: 0,
      failed: 0,
      results: events.map((e, index) => ({
        index,
        id: cloudEventStoredId(e.source, e.id),
        ceId: e.id,
        status: "queued",
      })),
    });
    await processQueued(5);
    const sent = JSON.parse(body) as Record<string, unknown>[];
    for (const [i, e] of events.entries()) {
      const back = await getAsCloudEvent(cloudEventStoredId(e.source, e.id));
      expect(plain(back)).toEqual(sent[i]);
    }
    const none = bodyOf<StoredEvent>(await get(cloudEventStoredId("/x", events[4]?.id ?? "")));
    expect(none.data).toEqual({});
    expect(none.cloudEvent?.dataEncoding).toBe("none");
  });

  it("accepts an empty batch (valid per the JSON batch format) and queues nothing", async () => {
    const receipt = await send({
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: "[]",
    });
    expect(receipt).toEqual({
      status: 202,
      body: { accepted: 0, rejected: 0, failed: 0, results: [] },
    });
    expect(await drainQueue(aws.sqs, aws.resources.queueUrl)).toHaveLength(0);
  });

  it("renders a native event as a CloudEvent the SDK reads", async () => {
    const result = await ingest(
      apiEvent({
        method: "POST",
        path: "/v1/events",
        tenantId: "acme",
        headers: { "Content-Type": "application/json" },
        body: { id: unique("native"), type: "page_view", data: { url: "/home" } },
      }),
      lambdaContext(),
    );
    const { id } = bodyOf<{ id: string }>(result);
    await processQueued(1);
    const rendered = await get(id, { Accept: "application/cloudevents+json" });
    // No `time`: the native event had none (the SDK would fill in the time it parses).
    expect(bodyOf(rendered)).toEqual({
      specversion: "1.0",
      id,
      source: "/eventflow/acme",
      type: "page_view",
      datacontenttype: "application/json",
      data: { url: "/home" },
      eventflowid: id,
      eventflowstatus: "processed",
    });
    const back = await getAsCloudEvent(id);
    expect(back).toMatchObject({ id, source: "/eventflow/acme", data: { url: "/home" } });
    // Without the CloudEvents media type in Accept, JSON as before.
    const json = await get(id, { Accept: "application/json, */*" });
    expect(json.headers?.["Content-Type"]).toBe("application/json; charset=utf-8");
    expect(bodyOf<StoredEvent>(json).cloudEvent).toBeUndefined();
  });
});

describe("deduplication by source + id", () => {
  it("stores the same id from two sources as two events", async () => {
    const id = unique("shared");
    const a = new CloudEvent({ id, source: "/region/eu", type: "t.dedup", data: { n: 1 } });
    const b = new CloudEvent({ id, source: "/region/us", type: "t.dedup", data: { n: 2 } });
    const ra = await send(HTTP.structured(a));
    const rb = await send(HTTP.binary(b));
    expect(ra.body.ceId).toBe(id);
    expect(rb.body.ceId).toBe(id);
    expect(ra.body.id).not.toBe(rb.body.id);
    await processQueued(2);
    expect(bodyOf<StoredEvent>(await get(String(ra.body.id))).data).toEqual({ n: 1 });
    expect(bodyOf<StoredEvent>(await get(String(rb.body.id))).data).toEqual({ n: 2 });
  });

  it("stores the same source + id once, whatever the mode it was sent in", async () => {
    const ce = new CloudEvent({
      id: unique("once"),
      source: "/orders",
      type: "t.once",
      datacontenttype: "application/json",
      data: { n: 1 },
    });
    const first = await send(HTTP.structured(ce));
    const second = await send(HTTP.binary(ce));
    expect(second.body.id).toBe(first.body.id);
    await processQueued(2);
    const page = await query(
      apiEvent({ path: "/v1/events", query: { type: "t.once" }, tenantId: "acme" }),
      lambdaContext(),
    );
    const items = bodyOf<{ items: StoredEvent[] }>(page).items;
    expect(items.map((e) => e.id)).toEqual([first.body.id]);
  });
});

describe("invalid CloudEvents", () => {
  const valid = () => JSON.parse(HTTP.structured(orderEvent()).body as string);
  const structured = (body: unknown) =>
    send({
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify(body),
    });
  const detailsOf = (r: { body: Record<string, unknown> }) =>
    (r.body.error as { details?: { path: string; message: string }[] }).details ?? [];

  it.each([
    ["missing specversion", { specversion: undefined }, "specversion", "is required"],
    ["specversion 0.3", { specversion: "0.3" }, "specversion", 'must be "1.0"'],
    ["missing source", { source: undefined }, "source", "is required and must be a string"],
    ["source not a URI-reference", { source: "not a uri" }, "source", "must be a URI-reference"],
    ["empty id", { id: "" }, "id", "must not be empty"],
    ["time not RFC 3339", { time: "yesterday" }, "time", "must be an RFC 3339 date-time"],
    ["bad extension name", { Bad_Name: "x" }, "Bad_Name", "is not a valid extension attribute"],
    ["extension name over 20", { abcdefghijklmnopqrstu: "x" }, "abcdefghijklmnopqrstu", "1-20"],
    ["object extension value", { region: { a: 1 } }, "region", "must be a string, an integer"],
    ["reserved extension", { eventflowstatus: "x" }, "eventflowstatus", "is kept for EventFlow"],
    ["dataschema not a URI", { dataschema: "schemas/x" }, "dataschema", "absolute URI"],
  ])("%s: 400 with the field's error", async (_name, change, path, message) => {
    const result = await structured({ ...valid(), ...change });
    expect(result.status).toBe(400);
    expect((result.body.error as { code: string }).code).toBe("validation_failed");
    expect(detailsOf(result)).toContainEqual({ path, message: expect.stringContaining(message) });
    expect(await drainQueue(aws.sqs, aws.resources.queueUrl)).toHaveLength(0);
  });

  it("binary mode: header errors name the header", async () => {
    const message = HTTP.binary(orderEvent());
    const { "ce-specversion": _v, ...headers } = message.headers as Record<string, unknown>;
    const result = await send({
      headers: { ...headers, "ce-source": "bad source", "ce-datacontenttype": "text/plain" },
      body: message.body,
    });
    expect(result.status).toBe(400);
    expect(detailsOf(result)).toEqual(
      expect.arrayContaining([
        { path: "ce-specversion", message: "is required" },
        { path: "ce-source", message: expect.stringContaining("URI-reference") },
        { path: "ce-datacontenttype", message: expect.stringContaining("Content-Type") },
      ]),
    );
  });

  it("batched mode: an invalid event is rejected in its entry, the others are queued", async () => {
    const body = [valid(), { ...valid(), specversion: "0.3" }, { ...valid(), source: undefined }];
    const result = await send({
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: JSON.stringify(body),
    });
    expect(result.status).toBe(202);
    expect(result.body).toMatchObject({ accepted: 1, rejected: 2 });
    const results = result.body.results as { status: string; errors?: unknown[] }[];
    expect(results[1]?.errors).toEqual([{ path: "[1].specversion", message: 'must be "1.0"' }]);
    expect(results[2]?.errors).toEqual([
      { path: "[2].source", message: "is required and must be a string" },
    ]);
    expect(await drainQueue(aws.sqs, aws.resources.queueUrl)).toHaveLength(1);
  });

  it("applies the native limits: 413 for an event over 64 KB, 415 for other formats", async () => {
    const big = { ...valid(), data: { blob: "x".repeat(64 * 1024) } };
    expect((await structured(big)).status).toBe(413);
    const avro = await send({
      headers: { "content-type": "application/cloudevents+avro" },
      body: "{}",
    });
    expect(avro.status).toBe(415);
    const array = await structured([valid()]);
    expect(array.status).toBe(400);
  });
});
