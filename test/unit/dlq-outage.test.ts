/** The DLQ consumer with the table unreachable: every record fails and stays in the DLQ. */
import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classify } from "../../lambdas/domain/errors.js";
import { startTestAws, type TestAws } from "../support/aws.js";
import { closedPort, deliver, lambdaContext, queued, sqsEvent } from "./process-fixtures.js";

let aws: TestAws;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  aws = await startTestAws(["dlq"]);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${await closedPort()}`;
  ({ handler } = await import("../../lambdas/entry/dlq.js"));
});

afterAll(async () => {
  await aws?.stop();
});

describe("dlq handler: table unreachable", () => {
  it("fails every record so the whole batch stays in the DLQ", async () => {
    const records = await deliver(
      aws.sqs,
      { url: aws.resources.dlqUrl, arn: aws.resources.dlqArn },
      [queued({ type: "a" }), queued({ type: "b" })],
    );
    const error = await handler(sqsEvent(records), lambdaContext("dlq")).catch((e) => e);
    expect(error).toBeInstanceOf(FullBatchFailureError);
    const causes = (error as FullBatchFailureError).recordErrors;
    expect(causes).toHaveLength(2);
    for (const cause of causes) expect(classify(cause)).toBe("transient");
  });
});
