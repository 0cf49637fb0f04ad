/**
 * Transient failures of the process handler: the failed records are listed in
 * batchItemFailures (or the whole batch throws when all fail) and each message's
 * visibility is set to its exponential backoff, checked on the emulator queue by when
 * the message becomes receivable again. Failures come from the local runtime's poison-type
 * fault (local/faults.ts) on the handler's DynamoDB client: DynamoDB's own 500 answer for
 * writes of chosen events, the way an outage would fail them, next to events that succeed.
 */
import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
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
import { Faults, InjectedCrash } from "../../local/faults.js";
import { type AnyHandler, currentInvocation } from "../../local/lambda.js";
import { startTestAws, type TestAws } from "../support/aws.js";
import {
  deliver,
  getEventItem,
  lambdaContext,
  metricTotal,
  queued,
  receiveNow,
  sleep,
  sqsEvent,
  statsByType,
  toRecord,
} from "./process-fixtures.js";

let aws: TestAws;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let handler: SqsHandler;
const faults = new Faults();
// biome-ignore lint/suspicious/noExplicitAny: spy on an overloaded method.
let addMetric: MockInstance<(...args: any[]) => unknown>;
let queue: { url: string; arn: string };

beforeAll(async () => {
  aws = await startTestAws(["process"], { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 2 });
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  faults.update({ poisonType: "poison" });
  const clients = aws.handlerClients();
  faults.install(clients.dynamodb);
  handler = asProcess(await aws.handler<AnyHandler>("process", clients));
  const { metrics } = await import("../../lambdas/shared/powertools.js");
  addMetric = vi.spyOn(metrics, "addMetric");
});

afterAll(async () => {
  await aws?.stop();
});

/** Runs a handler as the runtime's process function (the faults scope themselves by it). */
const asProcess =
  (h: AnyHandler): SqsHandler =>
  (event, context) =>
    currentInvocation.run(
      { function: "process", requestId: context.awsRequestId },
      async () => (await h(event, context)) as SQSBatchResponse,
    );

beforeEach(() => {
  addMetric.mockClear();
});

describe("process handler: transient failures", () => {
  it("lists only the failed record and backs it off exponentially by receive count", async () => {
    const good = queued({ type: "thing" });
    const poison = queued({ type: "poison" });
    const good2 = queued({ type: "thing" });
    const records = await deliver(aws.sqs, queue, [good, poison, good2]);

    const response = await handler(sqsEvent(records), lambdaContext("process"));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
    expect((await getEventItem(aws, "acme", good.event.id))?.status).toBe("processed");
    expect((await getEventItem(aws, "acme", good2.event.id))?.status).toBe("processed");
    expect(await getEventItem(aws, "acme", poison.event.id)).toBeUndefined();
    expect(metricTotal(addMetric, "EventsRetried")).toBe(1);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(2);
    // Transient failures are not statistics (the event has no outcome yet).
    expect((await statsByType(aws, "acme")).poison).toBeUndefined();

    // Receive 1 -> 1 s (the queue's own visibility timeout is 180 s).
    expect(await receiveNow(aws.sqs, queue.url)).toEqual([]);
    await sleep(1200);
    const [again] = await receiveNow(aws.sqs, queue.url, 1);
    expect(again?.MessageId).toBe(records[1]?.messageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe("2");
    if (!again) return;

    // Receive 2 -> 2 s: still hidden after 1.2 s, back after 2 s.
    addMetric.mockClear();
    const second = await handler(
      sqsEvent([
        toRecord(again, queue.arn),
        ...(await deliver(aws.sqs, queue, [queued({ type: "ok" })])),
      ]),
      lambdaContext("process"),
    );
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: again.MessageId }]);
    await sleep(1200);
    expect(await receiveNow(aws.sqs, queue.url)).toEqual([]);
    await sleep(1000);
    const [third] = await receiveNow(aws.sqs, queue.url, 1);
    expect(third?.MessageId).toBe(again.MessageId);
    expect(third?.Attributes?.ApproximateReceiveCount).toBe("3");
  });

  it("throws FullBatchFailureError when every record fails (Lambda returns the whole batch)", async () => {
    const records = await deliver(aws.sqs, queue, [
      queued({ type: "poison" }),
      queued({ type: "poison" }),
    ]);
    const error = await handler(sqsEvent(records), lambdaContext("process")).catch((e) => e);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    expect((error as FullBatchFailureError).recordErrors).toHaveLength(2);
    expect(metricTotal(addMetric, "EventsRetried")).toBe(2);
    // Both were backed off (1 s), not left for the 180 s visibility timeout.
    await sleep(1200);
    const back = await receiveNow(aws.sqs, queue.url, 1);
    expect(back.map((m) => m.MessageId).sort()).toEqual(records.map((r) => r.messageId).sort());
  });

  it("still lists the record when ChangeMessageVisibility itself fails", async () => {
    const [record] = await deliver(aws.sqs, queue, [queued({ type: "poison" })]);
    if (!record) throw new Error("no record");
    const [ok] = await deliver(aws.sqs, queue, [queued({ type: "ok" })]);
    if (!ok) throw new Error("no record");
    const { logger } = await import("../../lambdas/shared/powertools.js");
    const logError = vi.spyOn(logger, "error");
    try {
      const broken = { ...record, receiptHandle: "not-a-receipt-handle" };
      const response = await handler(sqsEvent([broken, ok]), lambdaContext("process"));
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(logError).toHaveBeenCalledWith(
        expect.stringContaining("Could not change the message's visibility"),
        expect.objectContaining({ messageId: record.messageId }),
      );
    } finally {
      logError.mockRestore();
    }
  });
});

describe("process handler: injected crash after the writes", () => {
  it("throws after storing; the redelivered batch is all duplicates, written once", async () => {
    const crashes = new Faults();
    crashes.update({ crashAfterWriteRate: 1 });
    const crashing = asProcess(
      crashes.crashingAfterWrite((await aws.handler<AnyHandler>("process")) as AnyHandler),
    );
    const tenantId = "crash-tenant";
    const m = queued({ type: "thing" }, { tenantId });
    const records = await deliver(aws.sqs, queue, [m]);

    await expect(crashing(sqsEvent(records), lambdaContext("process"))).rejects.toThrow(
      InjectedCrash,
    );
    const first = await getEventItem(aws, tenantId, m.event.id);
    expect(first?.status).toBe("processed");
    expect(await statsByType(aws, tenantId)).toEqual({
      thing: { processed: 1, failed: 0, duplicate: 0 },
    });

    addMetric.mockClear();
    await expect(crashing(sqsEvent(records), lambdaContext("process"))).rejects.toThrow(
      InjectedCrash,
    );
    expect(await getEventItem(aws, tenantId, m.event.id)).toEqual(first);
    expect(metricTotal(addMetric, "EventsDuplicate")).toBe(1);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(0);
    expect(crashes.counts.crashes).toBe(2);
  });
});
