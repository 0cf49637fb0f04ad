/**
 * GET /v1/health against the emulators, healthy and then with dependencies removed for
 * real (DLQ deleted, table deleted); the 500 answer when the table is gone; and the
 * timeout bound of each check.
 */
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { DeleteQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth } from "../../../../lambdas/use-cases/check-health.js";
import { apiEvent, bodyOf, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

let aws: TestAws;
let handler: (
  e: APIGatewayProxyEvent,
  c: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  aws = await startTestAws(["query"]);
  handler = await aws.handler("query");
});
afterAll(() => aws.stop());

const health = () => handler(apiEvent({ path: "/v1/health" }), lambdaContext());
type Check = { status: string; latencyMs: number; depth?: number; error?: string };
type Report = { status: string; checks: Record<"table" | "queue" | "dlq", Check> };

// In order: each step removes a dependency for good.
describe("health", () => {
  it("answers 200 ok with latencies, and no queue depths (they count every tenant)", async () => {
    for (const body of ["a", "b"]) {
      await aws.sqs.send(
        new SendMessageCommand({ QueueUrl: aws.resources.dlqUrl, MessageBody: body }),
      );
    }
    const result = await health();
    expect(result.statusCode).toBe(200);
    const report = bodyOf<Report>(result);
    expect(report).toEqual({
      status: "ok",
      checks: {
        table: { status: "ok", latencyMs: expect.any(Number) },
        queue: { status: "ok", latencyMs: expect.any(Number) },
        dlq: { status: "ok", latencyMs: expect.any(Number) },
      },
    });
  });

  it("answers 503 degraded when the DLQ is gone, without the SDK's words", async () => {
    await aws.sqs.send(new DeleteQueueCommand({ QueueUrl: aws.resources.dlqUrl }));
    const result = await health();
    expect(result.statusCode).toBe(503);
    const report = bodyOf<Report>(result);
    expect(report.status).toBe("degraded");
    expect(report.checks.dlq).toEqual({
      status: "error",
      latencyMs: expect.any(Number),
      error: "unavailable",
    });
    expect(report.checks.table.status).toBe("ok");
    expect(result.body).not.toMatch(/exist|Queue\.|aws/i);
  });

  it("reports the table when it is gone", async () => {
    await aws.dynamodb.send(new DeleteTableCommand({ TableName: aws.resources.tableName }));
    const report = bodyOf<Report>(await health());
    expect(report.checks.table).toMatchObject({ status: "error", error: "unavailable" });
  });

  it("answers a bare 500 with the request id when a read fails", async () => {
    const context = lambdaContext();
    const result = await handler(apiEvent({ path: "/v1/events/some-id" }), context);
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({
      error: {
        code: "internal_error",
        message: "The request could not be completed; quote the requestId when reporting it",
        requestId: context.awsRequestId,
      },
    });
    expect(result.headers?.["X-Correlation-Id"]).toBeTruthy();
    expect(result.body).not.toMatch(/ResourceNotFound|non-existent|at .*\.js/);
  });
});

describe("checkHealth timeouts", () => {
  it("gives up on a hanging dependency after the timeout, aborting its call", async () => {
    let aborted = false;
    const hang = (signal?: AbortSignal) =>
      new Promise<never>(() => {
        signal?.addEventListener("abort", () => {
          aborted = true;
        });
      });
    const started = Date.now();
    const report = await checkHealth({
      reader: { ping: hang },
      queue: { depth: async () => 3 },
      dlq: { depth: async () => 0 },
      timeoutMs: 50,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(aborted).toBe(true);
    expect(report.status).toBe("degraded");
    expect(report.checks.table).toMatchObject({ status: "error", error: "timeout" });
    expect(report.checks.queue).toMatchObject({ status: "ok", depth: 3 });
  });
});
