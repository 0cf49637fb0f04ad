/**
 * The table is unreachable (connections refused, as when DynamoDB or the network is
 * down): every record is a transient failure, retried with backoff, nothing is lost.
 */
import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { classify, transientCause } from "../../lambdas/domain/errors.js";
import { startTestAws, type TestAws } from "../support/aws.js";
import {
  closedPort,
  deliver,
  lambdaContext,
  metricTotal,
  queued,
  receiveNow,
  sleep,
  sqsEvent,
} from "./process-fixtures.js";

let aws: TestAws;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let queue: { url: string; arn: string };

beforeAll(async () => {
  aws = await startTestAws(["process"], { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 2 });
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  // The handler's clients are created at import: point them at a port nobody listens on.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${await closedPort()}`;
  ({ handler } = await import("../../lambdas/entry/process.js"));
});

afterAll(async () => {
  await aws?.stop();
});

describe("process handler: table unreachable", () => {
  it("fails every record transiently, backs each off, and loses nothing", async () => {
    const { metrics } = await import("../../lambdas/shared/powertools.js");
    const addMetric = vi.spyOn(metrics, "addMetric");
    const records = await deliver(aws.sqs, queue, [
      queued({ type: "purchase", data: { amount: 1 } }),
      queued({ type: "page_view", data: { url: "/" } }),
    ]);

    const error = await handler(sqsEvent(records), lambdaContext("process")).catch((e) => e);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    const causes = (error as FullBatchFailureError).recordErrors;
    expect(causes).toHaveLength(2);
    for (const cause of causes) {
      expect(classify(cause)).toBe("transient");
      expect(transientCause(cause)).toBe("network");
    }
    expect(metricTotal(addMetric, "EventsRetried")).toBe(2);
    expect(metricTotal(addMetric, "EventsProcessed")).toBe(0);

    // Both messages come back after the 1 s backoff, with their bodies intact.
    await sleep(1200);
    const back = await receiveNow(aws.sqs, queue.url, 1);
    expect(back.map((m) => m.Body).sort()).toEqual(records.map((r) => r.body).sort());
  });
});
