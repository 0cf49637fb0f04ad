/**
 * The partial batch contract (GUIDE §2) as the process function builds its answer, over
 * generated batches: ProcessBatch.handle per record inside Powertools'
 * processPartialResponse, exactly as lambdas/handlers/process.ts wires them, with a
 * writer that succeeds, finds a duplicate, or throws anything at all (SDK errors,
 * TypeErrors, strings, undefined, a ConditionalCheckFailed that escaped the adapter).
 *
 * Properties, for every batch:
 *   - the listed ids are exactly the records that did not end stored, recorded failed or
 *     duplicate: nothing that failed is missing (it would be deleted: lost), nothing
 *     that succeeded is listed (it would be redone);
 *   - when every record failed the answer is a throw (Lambda returns the whole batch),
 *     never an empty list (Lambda would delete the whole batch);
 *   - every failed record had its retry scheduled once.
 * There is no code path from a failure to an empty list: handle() rethrows after
 * scheduling the retry, and the handler returns processPartialResponse's answer as is.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { QueuedEvent, StoredEvent } from "../../../../lambdas/domain/event.js";
import type { EventWriter, PutOutcome } from "../../../../lambdas/ports/event-store.js";
import type { ProcessBatch as ProcessBatchType } from "../../../../lambdas/use-cases/process-batch.js";
import { lambdaContext } from "./process-fixtures.js";

let ProcessBatch: typeof ProcessBatchType;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  ({ ProcessBatch } = await import("../../../../lambdas/use-cases/process-batch.js"));
});

/** What the writer does with one record, or what the record is. */
type Behaviour =
  | { kind: "written" }
  | { kind: "duplicate"; same: boolean }
  | { kind: "rule-failure" }
  | { kind: "throws"; error: unknown }
  | { kind: "unreadable" };

const serviceError = (name: string, status: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

const thrown = fc.oneof(
  fc
    .constantFrom(
      "ProvisionedThroughputExceededException",
      "ThrottlingException",
      "InternalServerError",
      "ServiceUnavailable",
      "RequestTimeout",
      "ValidationException",
      "AccessDeniedException",
      "ResourceNotFoundException",
      // A duplicate signal the adapter should have turned into an outcome: still retried.
      "ConditionalCheckFailedException",
    )
    .map((name) => serviceError(name, name.startsWith("Internal") ? 500 : 400)),
  fc
    .constantFrom("ECONNREFUSED", "ECONNRESET", "ETIMEDOUT")
    .map((code) => Object.assign(new Error(`connect ${code}`), { code })),
  fc
    .constantFrom("TimeoutError", "AbortError")
    .map((name) => Object.assign(new Error("timed out"), { name })),
  fc.string().map((m) => new TypeError(m)),
  fc.string(),
  fc.constantFrom(undefined, null, 0, false, {}),
);

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { arbitrary: fc.constant({ kind: "written" as const }), weight: 4 },
  { arbitrary: fc.boolean().map((same) => ({ kind: "duplicate" as const, same })), weight: 2 },
  { arbitrary: fc.constant({ kind: "rule-failure" as const }), weight: 1 },
  { arbitrary: thrown.map((error) => ({ kind: "throws" as const, error })), weight: 3 },
  { arbitrary: fc.constant({ kind: "unreadable" as const }), weight: 1 },
);

function record(i: number, b: Behaviour): SQSRecord {
  const message: QueuedEvent = {
    v: 1,
    tenantId: "acme",
    receivedAt: new Date().toISOString(),
    correlationId: `c-${i}`,
    event:
      b.kind === "rule-failure"
        ? { id: `e-${i}`, type: "purchase", data: { amount: -1 } }
        : { id: `e-${i}`, type: "contract.test", data: { i } },
  };
  return {
    messageId: `m-${i}`,
    receiptHandle: `r-${i}`,
    body: b.kind === "unreadable" ? "not json at all" : JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "x",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
    awsRegion: "us-east-1",
  };
}

/** Runs one batch through the same wiring as the process handler. */
async function answer(behaviours: Behaviour[]) {
  const byId = new Map(behaviours.map((b, i) => [`e-${i}`, b]));
  const put = async (event: StoredEvent): Promise<PutOutcome> => {
    const b = byId.get(event.id);
    if (b?.kind === "throws") throw b.error;
    if (b?.kind === "duplicate") {
      return { kind: "duplicate", same: b.same, existingStatus: "processed" };
    }
    return { kind: "written" };
  };
  const writer: EventWriter = { putIfAbsent: put, replaceFailed: put, addStats: async () => {} };
  const scheduled: string[] = [];
  const batch = new ProcessBatch({
    writer,
    retries: { retryAfter: async (handle) => void scheduled.push(handle) },
    config: { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 8, maxReceiveCount: 5 },
  });
  const records = behaviours.map((b, i) => record(i, b));
  let response: SQSBatchResponse | undefined;
  let threw: unknown;
  try {
    response = await processPartialResponse(
      { Records: records },
      (r: SQSRecord) =>
        batch.handle({
          messageId: r.messageId,
          receiptHandle: r.receiptHandle,
          body: r.body,
          receiveCount: 1,
        }),
      new BatchProcessor(EventType.SQS),
      { context: lambdaContext("process") },
    );
    await batch.finish();
  } catch (error) {
    threw = error;
  }
  return { response, threw, scheduled };
}

const mustReturn = (b: Behaviour) => b.kind === "throws" || b.kind === "unreadable";

describe("process function answers (GUIDE §2)", () => {
  it("lists exactly the records that must come back; throws when all must; never an empty list for a failure", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(behaviour, { minLength: 1, maxLength: 10 }), async (bs) => {
        const { response, threw, scheduled } = await answer(bs);
        const expected = bs.flatMap((b, i) => (mustReturn(b) ? [`m-${i}`] : []));
        expect(scheduled.sort()).toEqual(expected.map((id) => id.replace("m-", "r-")).sort());
        if (expected.length === bs.length) {
          // All failed: Powertools throws, Lambda returns the whole batch.
          expect(threw).toBeInstanceOf(Error);
          expect((threw as Error).name).toBe("FullBatchFailureError");
          return;
        }
        expect(threw).toBeUndefined();
        const listed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
        expect(listed.sort()).toEqual(expected.sort());
      }),
      { numRuns: 300 },
    );
  });

  it("the three shapes of GUIDE §2: none failed, some failed, all failed", async () => {
    const ok = await answer([{ kind: "written" }, { kind: "duplicate", same: false }]);
    expect(ok.response).toEqual({ batchItemFailures: [] });
    const some = await answer([{ kind: "written" }, { kind: "throws", error: undefined }]);
    expect(some.response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    const all = await answer([
      { kind: "throws", error: "a string" },
      { kind: "throws", error: null },
    ]);
    expect(all.response).toBeUndefined();
    expect((all.threw as Error).name).toBe("FullBatchFailureError");
  });
});
