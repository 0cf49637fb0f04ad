/**
 * Ingest when the queue is not there: the function points at a queue that does not
 * exist (a real QueueDoesNotExist from fauxqs), so no event can be queued.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lib/contracts/environment.js";
import { bodyOf, ingestEvent, lambdaContext } from "../support/apigw.js";
import { startTestAws, type TestAws } from "../support/aws.js";
import { drainQueue } from "../support/queue.js";

let aws: TestAws;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  aws = await startTestAws(["ingest"]);
  process.env[ENV.queueUrl] = `${aws.resources.queueUrl}-missing`;
  ({ handler } = await import("../../lambdas/entry/ingest.js"));
});
afterAll(() => aws.stop());

describe("queue unavailable", () => {
  it("answers 503 queue_unavailable with the request id for a single event", async () => {
    const context = lambdaContext();
    const result = await handler(ingestEvent({ type: "a", data: {} }), context);
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result)).toEqual({
      error: {
        code: "queue_unavailable",
        message: "Events could not be queued; retry later",
        requestId: context.awsRequestId,
      },
    });
    expect(result.body).not.toMatch(/QueueDoesNotExist|exist/i);
  });

  it("answers 503 for a batch, marking accepted events failed and invalid ones rejected", async () => {
    const events = [{ type: "a", data: {}, id: "one" }, { type: "a" }, { type: "b", data: {} }];
    const result = await handler(ingestEvent({ events }), lambdaContext());
    expect(result.statusCode).toBe(503);
    const body = bodyOf<{ error: { code: string }; results: Record<string, unknown>[] }>(result);
    expect(body.error.code).toBe("queue_unavailable");
    expect(body.results.map((r) => [r.index, r.status])).toEqual([
      [0, "failed"],
      [1, "rejected"],
      [2, "failed"],
    ]);
    expect(body.results[0]).toEqual({
      index: 0,
      id: "one",
      status: "failed",
      reason: "the queue could not be reached",
    });
    // Nothing went to the real queue either.
    expect(await drainQueue(aws.sqs, aws.resources.queueUrl)).toHaveLength(0);
  });
});
