/**
 * The handler around every SQS-triggered function (process, dlq, jobs): each invocation
 * reports its own failed records, also when the local runtime runs two invocations of one
 * handler at once (a shared batch processor would mix their failures).
 */
import type { SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { sqsBatchHandler } from "../../../../lambdas/handlers/sqs-record.js";
import { lambdaContext, sqsEvent } from "./process-fixtures.js";

const record = (messageId: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: messageId,
    attributes: { ApproximateReceiveCount: "1" },
    messageAttributes: {},
    eventSource: "aws:sqs",
  }) as unknown as SQSRecord;

describe("sqsBatchHandler", () => {
  it("answers each concurrent invocation with its own failures, and finishes only what ran", async () => {
    const finished: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const handler = sqsBatchHandler(() => {
      const seen: string[] = [];
      return {
        handle: async (r) => {
          seen.push(r.body);
          // The first invocation waits until the second one has run.
          if (r.body.startsWith("a")) await gate;
          if (r.body.endsWith("-bad")) throw new Error(`${r.body} failed`);
        },
        finish: async () => {
          finished.push(seen.join(","));
        },
      };
    });
    const first = handler(sqsEvent([record("a1"), record("a2-bad")]), lambdaContext("t"));
    const second = await handler(
      sqsEvent([record("b1-bad"), record("b2"), record("b3-bad")]),
      lambdaContext("t"),
    );
    release();
    expect(second.batchItemFailures).toEqual([
      { itemIdentifier: "b1-bad" },
      { itemIdentifier: "b3-bad" },
    ]);
    expect((await first).batchItemFailures).toEqual([{ itemIdentifier: "a2-bad" }]);
    expect(finished.sort()).toEqual(["a1,a2-bad", "b1-bad,b2,b3-bad"]);
  });

  it("throws when every record failed (SQS retries the whole batch), without finishing", async () => {
    let finished = false;
    const handler = sqsBatchHandler(() => ({
      handle: async () => {
        throw new Error("down");
      },
      finish: async () => {
        finished = true;
      },
    }));
    await expect(handler(sqsEvent([record("x")]), lambdaContext("t"))).rejects.toThrow();
    expect(finished).toBe(false);
  });
});
