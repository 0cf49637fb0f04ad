/**
 * The DLQ consumer against the embedded emulators: dead messages become failed events,
 * idempotently, without overwriting what exists; unreadable ones stay in the DLQ.
 */
import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
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
import { startTestAws, type TestAws } from "../../../support/aws.js";
import {
  deliver,
  getEventItem,
  lambdaContext,
  metricTotal,
  queued,
  sqsEvent,
  statsByType,
} from "./process-fixtures.js";

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let aws: TestAws;
let dlqHandler: Handler;
let processHandler: Handler;
// biome-ignore lint/suspicious/noExplicitAny: spy on an overloaded method.
let addMetric: MockInstance<(...args: any[]) => unknown>;
// biome-ignore lint/suspicious/noExplicitAny: spy on the SDK client's overloaded send.
let sqsSend: MockInstance<(...args: any[]) => unknown>;
let dlq: { url: string; arn: string };
let queue: { url: string; arn: string };

beforeAll(async () => {
  aws = await startTestAws(["process", "dlq"]);
  dlq = { url: aws.resources.dlqUrl, arn: aws.resources.dlqArn };
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  // Its own clients: a spy on its SQS client sees only what the handler asks.
  const clients = aws.handlerClients();
  dlqHandler = await aws.handler("dlq", clients);
  ({ handler: processHandler } = await import("../../../../lambdas/entry/process.js"));
  const { metrics } = await import("../../../../lambdas/shared/powertools.js");
  addMetric = vi.spyOn(metrics, "addMetric");
  // A spy that passes every call through to the emulator: to see what was asked of SQS.
  sqsSend = vi.spyOn(clients.sqs, "send");
});

afterAll(async () => {
  await aws?.stop();
});

beforeEach(() => {
  addMetric.mockClear();
  sqsSend.mockClear();
});

const runDlq = async (messages: Parameters<typeof deliver>[2]) => {
  const records = await deliver(aws.sqs, dlq, messages);
  return { records, response: await dlqHandler(sqsEvent(records), lambdaContext("dlq")) };
};

describe("dlq handler", () => {
  it("records a dead message as a failed event with its data and correlation id", async () => {
    const tenantId = "dlq-tenant";
    const m = queued({ type: "purchase", data: { amount: 12 } }, { tenantId });
    const { response } = await runDlq([m]);
    expect(response).toEqual({ batchItemFailures: [] });

    const item = await getEventItem(aws, tenantId, m.event.id);
    const reason = `not processed after ${aws.settings.maxReceiveCount} receives`;
    expect(item).toMatchObject({
      status: "failed",
      type: "purchase",
      data: { amount: 12 },
      receivedAt: m.receivedAt,
      correlationId: m.correlationId,
      attempts: aws.settings.maxReceiveCount,
      failure: { kind: "dead_letter", reason },
      history: [{ action: "failed", detail: reason }],
      gsi2pk: failedPartition(tenantId, shardOf(m.event.id, aws.settings.failedShards)),
      gsi2sk: `${item?.failedAt}#${m.event.id}`,
      gsi1pk: byTypePartition(tenantId, "purchase", shardOf(m.event.id, aws.settings.typeShards)),
    });
    expect(typeof item?.digest).toBe("string");
    expect(metricTotal(addMetric, "EventsDeadLettered")).toBe(1);
    expect(metricTotal(addMetric, "EventsFailed")).toBe(1);
    expect(await statsByType(aws, tenantId)).toEqual({
      purchase: { processed: 0, failed: 1, duplicate: 0 },
    });

    // The same dead message again (a redelivery): nothing overwritten, nothing recounted.
    addMetric.mockClear();
    const again = await runDlq([{ body: JSON.stringify(m) }]);
    expect(again.response).toEqual({ batchItemFailures: [] });
    expect(await getEventItem(aws, tenantId, m.event.id)).toEqual(item);
    expect(metricTotal(addMetric, "EventsDeadLettered")).toBe(0);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(await statsByType(aws, tenantId)).toEqual({
      purchase: { processed: 0, failed: 1, duplicate: 0 },
    });
  });

  it("leaves an event that another copy processed as processed", async () => {
    const m = queued({ type: "thing" });
    const records = await deliver(aws.sqs, queue, [m]);
    await processHandler(sqsEvent(records), lambdaContext("process"));
    const processed = await getEventItem(aws, "acme", m.event.id);
    expect(processed?.status).toBe("processed");

    const { response } = await runDlq([m]);
    expect(response.batchItemFailures).toEqual([]);
    expect(await getEventItem(aws, "acme", m.event.id)).toEqual(processed);
  });

  it("records a malformed message that names its tenant and id", async () => {
    const m = queued({ type: "thing", data: { a: 1 } });
    const { response } = await runDlq([{ body: JSON.stringify({ ...m, v: 3 }) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(await getEventItem(aws, "acme", m.event.id)).toMatchObject({
      status: "failed",
      data: { a: 1 },
      attempts: aws.settings.maxReceiveCount,
      failure: { kind: "malformed" },
    });
  });

  it("keeps an unreadable message in the DLQ, parked for 12 hours, and lists only it", async () => {
    const good = queued({ type: "thing" });
    const { records, response } = await runDlq([good, { body: "<xml/>" }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.messageId }]);
    expect((await getEventItem(aws, "acme", good.event.id))?.failure).toMatchObject({
      kind: "dead_letter",
    });
    expect(metricTotal(addMetric, "MessagesMalformed")).toBe(1);
    const visibilityChanges = sqsSend.mock.calls
      .map(([command]) => command)
      .filter((c) => c instanceof ChangeMessageVisibilityCommand)
      .map((c) => (c as ChangeMessageVisibilityCommand).input);
    expect(visibilityChanges).toEqual([
      { QueueUrl: dlq.url, ReceiptHandle: records[1]?.receiptHandle, VisibilityTimeout: 43_200 },
    ]);
  });

  it("throws FullBatchFailureError when no record of the batch could be recorded", async () => {
    const records = await deliver(aws.sqs, dlq, [{ body: "x" }, { body: "y" }]);
    const error = await dlqHandler(sqsEvent(records), lambdaContext("dlq")).catch((e) => e);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    expect((error as FullBatchFailureError).recordErrors).toHaveLength(2);
  });
});
