/**
 * Ingest when SQS takes some entries and refuses others: the queue's MaximumMessageSize
 * is lowered to 1 KiB, so fauxqs fails the larger entries of a SendMessageBatch (as SQS
 * does, per entry, SenderFault true). Then the emulator is stopped altogether.
 */
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyOf, ingestEvent, lambdaContext } from "../support/apigw.js";
import { startTestAws, type TestAws } from "../support/aws.js";
import { bodies, drainQueue } from "../support/queue.js";

let aws: TestAws;
let stopped = false;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  aws = await startTestAws(["ingest"]);
  await aws.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: aws.resources.queueUrl,
      Attributes: { MaximumMessageSize: "1024" },
    }),
  );
  ({ handler } = await import("../../lambdas/entry/ingest.js"));
});
afterAll(async () => {
  if (!stopped) await aws.stop();
});

const small = (id: string) => ({ id, type: "a", data: {} });
const large = (id: string) => ({ id, type: "a", data: { blob: "x".repeat(2000) } });

describe("partial enqueue failures", () => {
  it("answers 202 with queued, rejected and failed entries when some events reach the queue", async () => {
    const events = [small("s1"), large("l1"), { type: "bad type", data: {} }, small("s2")];
    const result = await handler(ingestEvent({ events }), lambdaContext());
    expect(result.statusCode).toBe(202);
    const body = bodyOf<{ results: Record<string, unknown>[] }>(result);
    expect(body).toMatchObject({ accepted: 2, rejected: 1, failed: 1 });
    expect(body.results.map((r) => r.status)).toEqual(["queued", "failed", "rejected", "queued"]);
    expect(body.results[1]).toEqual({
      index: 1,
      id: "l1",
      status: "failed",
      reason: "the queue rejected the message",
    });
    const ids = bodies<{ event: { id: string } }>(
      await drainQueue(aws.sqs, aws.resources.queueUrl),
    );
    expect(ids.map((m) => m.event.id).sort()).toEqual(["s1", "s2"]);
  });

  it("answers 503 when the only event does not reach the queue", async () => {
    const result = await handler(ingestEvent(large("l2")), lambdaContext());
    expect(result.statusCode).toBe(503);
    expect(bodyOf<{ error: { code: string } }>(result).error.code).toBe("queue_unavailable");
  });

  it("answers 503 when the queue service is down", async () => {
    await aws.stop();
    stopped = true;
    const result = await handler(
      ingestEvent({ events: [small("s3"), small("s4")] }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(503);
    const body = bodyOf<{ results: { status: string }[] }>(result);
    expect(body.results.map((r) => r.status)).toEqual(["failed", "failed"]);
    expect(result.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});
