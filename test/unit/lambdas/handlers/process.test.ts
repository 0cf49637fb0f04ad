/**
 * The process handler against the embedded emulators (real SDK clients, real queue
 * receipts, real conditional writes): stored items, duplicates, conflicts, business
 * rules, malformed messages, statistics and the partial batch response.
 */
import { createHash } from "node:crypto";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import {
  byTypePartition,
  failedPartition,
  shardOf,
} from "../../../../lambdas/adapters/dynamodb-keys.js";
import type { QueuedEvent } from "../../../../lambdas/domain/event.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import {
  deliver,
  getEventItem,
  lambdaContext,
  metricTotal,
  metricValues,
  queued,
  receiveNow,
  sqsEvent,
  statsByType,
  statsItems,
  uniqueId,
} from "./process-fixtures.js";

let aws: TestAws;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
// biome-ignore lint/suspicious/noExplicitAny: spy on an overloaded method.
let addMetric: MockInstance<(...args: any[]) => unknown>;
let queue: { url: string; arn: string };

beforeAll(async () => {
  aws = await startTestAws(["process"]);
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  ({ handler } = await import("../../../../lambdas/entry/process.js"));
  const { metrics } = await import("../../../../lambdas/shared/powertools.js");
  addMetric = vi.spyOn(metrics, "addMetric");
});

afterAll(async () => {
  await aws?.stop();
});

beforeEach(() => {
  addMetric.mockClear();
});

const run = async (messages: QueuedEvent[] | Parameters<typeof deliver>[2]) => {
  const records = await deliver(aws.sqs, queue, messages);
  const response = await handler(sqsEvent(records), lambdaContext("process"));
  return { records, response };
};

describe("process handler", () => {
  it("stores a processed event as exactly the item the reader expects", async () => {
    const m = queued(
      {
        type: "purchase",
        source: "shop",
        subject: "order-7",
        time: "2026-11-22T02:00:00Z",
        data: { amount: 1500, currency: "EUR" },
      },
      { tenantId: "acme" },
    );
    const before = Date.now();
    const { response } = await run([m]);
    const after = Date.now();

    expect(response).toEqual({ batchItemFailures: [] });
    const item = await getEventItem(aws, "acme", m.event.id);
    const id = m.event.id;
    const digest = createHash("sha256")
      .update(
        `{"data":{"amount":1500,"currency":"EUR"},"source":"shop","subject":"order-7","time":"2026-11-22T02:00:00Z","type":"purchase"}`,
      )
      .digest("hex");
    expect(item).toEqual({
      pk: `T#acme#E#${id}`,
      sk: "EVENT",
      gsi1pk: byTypePartition("acme", "purchase", shardOf(id, aws.settings.typeShards)),
      gsi1sk: `${m.receivedAt}#${id}`,
      gsi3pk: `acme#${shardOf(id, aws.settings.timeShards)}`,
      gsi3sk: `${m.receivedAt}#${id}`,
      id,
      tenantId: "acme",
      type: "purchase",
      source: "shop",
      subject: "order-7",
      time: "2026-11-22T02:00:00Z",
      data: { amount: 1500, currency: "EUR" },
      status: "processed",
      receivedAt: m.receivedAt,
      correlationId: m.correlationId,
      attempts: 1,
      processedAt: expect.any(String),
      latencyMs: expect.any(Number),
      enrichment: { category: "high_value" },
      // No rules saved for acme: the built-in defaults, version 0.
      rulesetVersion: 0,
      digest,
      expiresAt: Math.floor(Date.parse(m.receivedAt) / 1000) + 90 * 86_400,
    });
    const processedAt = Date.parse(String(item?.processedAt));
    expect(processedAt).toBeGreaterThanOrEqual(before);
    expect(processedAt).toBeLessThanOrEqual(after);
    expect(item?.latencyMs).toBe(processedAt - Date.parse(m.receivedAt));

    expect(metricTotal(addMetric, "EventsProcessed")).toBe(1);
    expect(metricValues(addMetric, "EndToEndLatency")).toHaveLength(1);
    expect(metricValues(addMetric, "EndToEndLatency")[0]).toBeGreaterThanOrEqual(250);
    expect(metricValues(addMetric, "ProcessingLatency")).toHaveLength(1);
  });

  it("enriches per type: standard purchase, nothing for other types", async () => {
    const small = queued({ type: "purchase", data: { amount: 1000 } });
    const view = queued({ type: "page_view", data: { url: "/pricing" } });
    const signup = queued({ type: "user_signup", subject: "user-1" });
    const { response } = await run([small, view, signup]);
    expect(response.batchItemFailures).toEqual([]);
    expect((await getEventItem(aws, "acme", small.event.id))?.enrichment).toEqual({
      category: "standard",
    });
    const viewItem = await getEventItem(aws, "acme", view.event.id);
    expect(viewItem?.status).toBe("processed");
    expect(viewItem).not.toHaveProperty("enrichment");
    expect((await getEventItem(aws, "acme", signup.event.id))?.status).toBe("processed");
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(3);
  });

  it("takes attempts from the receive count", async () => {
    const m = queued({ type: "thing" });
    const [record] = await deliver(aws.sqs, queue, [m]);
    if (!record) throw new Error("no record");
    record.attributes.ApproximateReceiveCount = "3";
    await handler(sqsEvent([record]), lambdaContext("process"));
    expect((await getEventItem(aws, "acme", m.event.id))?.attempts).toBe(3);
  });

  it("keeps one item for the same id twice in one batch, counting a duplicate", async () => {
    const m = queued({ type: "purchase", data: { amount: 10 } });
    // Another body (trailing space) so the queue holds two messages of one event.
    const { response } = await run([m, { body: `${JSON.stringify(m)} ` }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(1);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(metricTotal(addMetric, "EventsConflict")).toBe(0);
    expect((await getEventItem(aws, "acme", m.event.id))?.status).toBe("processed");
  });

  it("keeps the first write for the same id in separate invocations", async () => {
    const m = queued({ type: "purchase", data: { amount: 10 } });
    await run([m]);
    const first = await getEventItem(aws, "acme", m.event.id);
    addMetric.mockClear();

    const { response } = await run([m]);
    expect(response.batchItemFailures).toEqual([]);
    expect(await getEventItem(aws, "acme", m.event.id)).toEqual(first);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(0);
    expect(metricTotal(addMetric, "EventsConflict")).toBe(0);
  });

  it("keeps the first content on a conflict (same id, other data) and counts it", async () => {
    const first = queued({ type: "purchase", data: { amount: 10 } });
    await run([first]);
    addMetric.mockClear();
    const second: QueuedEvent = { ...first, event: { ...first.event, data: { amount: 99 } } };

    const { response } = await run([second]);
    expect(response.batchItemFailures).toEqual([]);
    expect((await getEventItem(aws, "acme", first.event.id))?.data).toEqual({ amount: 10 });
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(metricTotal(addMetric, "EventsConflict")).toBe(1);
  });

  it("records a business-rule violation as failed at once, without a retry", async () => {
    const m = queued({ type: "purchase", data: { amount: -5 } });
    const { response } = await run([m]);
    expect(response.batchItemFailures).toEqual([]);

    const item = await getEventItem(aws, "acme", m.event.id);
    expect(item).toMatchObject({
      status: "failed",
      attempts: 1,
      correlationId: m.correlationId,
      failure: { kind: "business_rule", reason: "purchase: data.amount must be greater than 0" },
      gsi2pk: failedPartition("acme", shardOf(m.event.id, aws.settings.failedShards)),
      gsi2sk: `${item?.failedAt}#${m.event.id}`,
      gsi1pk: byTypePartition("acme", "purchase", shardOf(m.event.id, aws.settings.typeShards)),
      history: [
        {
          at: item?.failedAt,
          action: "failed",
          detail: "purchase: data.amount must be greater than 0",
        },
      ],
    });
    expect(item).not.toHaveProperty("processedAt");
    expect(metricTotal(addMetric, "EventsFailed")).toBe(1);
    expect(metricTotal(addMetric, "EventsRetried")).toBe(0);
    // Lambda deletes it: nothing comes back.
    expect(await receiveNow(aws.sqs, queue.url)).toEqual([]);
  });

  it.each([
    ["user_signup without subject", { type: "user_signup" }, /subject/],
    ["page_view without url", { type: "page_view", data: { path: "/" } }, /data\.url/],
  ])("fails a %s", async (_, event, reason) => {
    const m = queued(event);
    await run([m]);
    const item = await getEventItem(aws, "acme", m.event.id);
    expect(item?.status).toBe("failed");
    expect((item?.failure as { reason?: string } | undefined)?.reason).toMatch(reason);
  });

  it("records a malformed message that names its tenant and id as failed", async () => {
    const m = queued({ type: "purchase", data: { amount: 3 } });
    const { response } = await run([{ body: JSON.stringify({ ...m, v: 2 }) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(await getEventItem(aws, "acme", m.event.id)).toMatchObject({
      status: "failed",
      type: "purchase",
      data: { amount: 3 },
      failure: { kind: "malformed" },
      gsi2pk: failedPartition("acme", shardOf(m.event.id, aws.settings.failedShards)),
    });
    expect(metricTotal(addMetric, "EventsFailed")).toBe(1);
  });

  it("lists exactly the failed ids of a mixed batch; the unreadable one returns at once", async () => {
    const good = queued({ type: "thing" });
    const good2 = queued({ type: "thing" });
    const { records, response } = await run([
      good,
      { body: "not json", correlationId: "c-1" },
      good2,
      { body: JSON.stringify({ v: 1, event: { type: "x" } }) },
    ]);
    // In completion order (records run in parallel): compare as sets.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [records[1]?.messageId, records[3]?.messageId].sort(),
    );
    expect((await getEventItem(aws, "acme", good.event.id))?.status).toBe("processed");
    expect((await getEventItem(aws, "acme", good2.event.id))?.status).toBe("processed");
    expect(metricTotal(addMetric, "MessagesMalformed")).toBe(2);
    // Permanent: visible again immediately (not after the 180 s visibility timeout), so
    // it reaches the DLQ after maxReceiveCount quick receives.
    const again = await receiveNow(aws.sqs, queue.url, 1);
    expect(again.map((m) => m.MessageId).sort()).toEqual(
      [records[1]?.messageId, records[3]?.messageId].sort(),
    );
  });

  it("answers an empty failure list when nothing fails", async () => {
    const { response } = await run([queued({ type: "a" }), queued({ type: "b" })]);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it("writes the statistics once per hour of a batch, all types in one item", async () => {
    const tenantId = "stats-tenant";
    const hourA = "2026-11-22T02";
    const at = (minute: string) => ({ tenantId, receivedAt: `${hourA}:${minute}:00.000Z` });
    const dup = queued({ type: "purchase", data: { amount: 5 } }, at("01"));
    await run([
      dup,
      queued({ type: "purchase", data: { amount: 2000 } }, at("02")),
      queued({ type: "purchase", data: { amount: 0 } }, at("03")),
      { body: JSON.stringify(dup), correlationId: "again" },
      queued({ type: "page_view", data: { url: "/" } }, at("04")),
      queued(
        { type: "page_view", data: { url: "/" } },
        { tenantId, receivedAt: "2026-11-22T03:00:00.000Z" },
      ),
    ]);

    const items = await statsItems(aws, tenantId);
    // One update per hour: 02 (purchase and page_view together) and 03.
    expect(items.map((i) => String(i.sk).replace(/#\d+$/, "")).sort()).toEqual([
      hourA,
      "2026-11-22T03",
    ]);
    for (const item of items) {
      expect(Number(String(item.sk).split("#")[1])).toBeLessThan(aws.settings.statsShards);
    }
    // Only non-zero counters are written.
    const {
      pk: _pk,
      sk: _sk,
      expiresAt,
      ...hourAItem
    } = items.find((i) => String(i.sk).startsWith(`${hourA}#`)) ?? {};
    expect(expiresAt).toBeTypeOf("number");
    expect(hourAItem).toEqual({
      hour: hourA,
      "processed#purchase": 2,
      "failed#purchase": 1,
      "duplicate#purchase": 1,
      "processed#page_view": 1,
    });
    expect(await statsByType(aws, tenantId)).toEqual({
      purchase: { processed: 2, failed: 1, duplicate: 1 },
      page_view: { processed: 2, failed: 0, duplicate: 0 },
    });

    // A second batch adds to the counters (on some shard), never overwrites them.
    await run([queued({ type: "purchase", data: { amount: 1 } }, at("05"))]);
    expect((await statsByType(aws, tenantId)).purchase).toEqual({
      processed: 3,
      failed: 1,
      duplicate: 1,
    });
  });

  it("does not fail written records when the statistics update fails", async () => {
    const { DynamoDbEventWriter } = await import(
      "../../../../lambdas/adapters/dynamodb-event-writer.js"
    );
    const failing = vi
      .spyOn(DynamoDbEventWriter.prototype, "addStats")
      .mockRejectedValueOnce(new Error("stats table hiccup"));
    try {
      const m = queued({ type: "thing" });
      const { response } = await run([m]);
      expect(response.batchItemFailures).toEqual([]);
      expect((await getEventItem(aws, "acme", m.event.id))?.status).toBe("processed");
      expect(failing).toHaveBeenCalledOnce();
      expect(metricTotal(addMetric, "StatsWriteFailed")).toBe(1);
    } finally {
      failing.mockRestore();
    }
  });

  it("omits expiresAt when retention is 0", async () => {
    const { DynamoDbEventWriter } = await import(
      "../../../../lambdas/adapters/dynamodb-event-writer.js"
    );
    const { enrich } = await import("../../../../lambdas/domain/enrich.js");
    const writer = new DynamoDbEventWriter(aws.documentClient, {
      tableName: aws.resources.tableName,
      eventRetentionDays: 0,
      timeShards: 4,
      typeShards: 4,
      statsShards: 1,
      failedShards: 4,
    });
    const m = queued({ type: "thing" });
    expect(await writer.putIfAbsent(enrich(m, { at: new Date(), attempts: 1 }))).toEqual({
      kind: "written",
    });
    const item = await getEventItem(aws, "acme", m.event.id);
    expect(item?.status).toBe("processed");
    expect(item).not.toHaveProperty("expiresAt");
    expect(await writer.putIfAbsent(enrich(m, { at: new Date(), attempts: 2 }))).toEqual({
      kind: "duplicate",
      same: true,
      existingStatus: "processed",
    });
  });

  it("processes a batch of 10 with unique ids", async () => {
    const ms = Array.from({ length: 10 }, () => queued({ type: "bulk", data: { n: 1 } }));
    const { response } = await run(ms);
    expect(response.batchItemFailures).toEqual([]);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(10);
    for (const m of ms) expect((await getEventItem(aws, "acme", m.event.id))?.type).toBe("bulk");
    expect(uniqueId()).not.toBe(uniqueId());
  });
});
