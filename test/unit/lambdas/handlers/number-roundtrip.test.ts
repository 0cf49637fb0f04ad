/**
 * Numbers across every layer, in one process: the ingest handler accepts a number only
 * if its double prints back to the client's decimal (domain/json.ts); the process handler
 * must then store exactly that number, and the query handler answer it. The layers were
 * each tested alone; together they once disagreed: 1e21 or 2^53 passed ingest, and the
 * SDK's marshaller refused every number beyond 2^53 (the event retried into the DLQ,
 * where it could not be recorded either), while numbers beyond 2^53 read back as BigInt.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiEvent, bodyOf, ingestEvent, lambdaContext } from "../../../support/apigw.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { drainQueue } from "../../../support/queue.js";
import { toRecord } from "./process-fixtures.js";

type ApiHandler = (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

let aws: TestAws;
let ingest: ApiHandler;
let query: ApiHandler;
let processBatch: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  aws = await startTestAws(["ingest", "query", "process"]);
  ({ handler: ingest } = await import("../../../../lambdas/entry/ingest.js"));
  query = await aws.handler("query");
  ({ handler: processBatch } = await import("../../../../lambdas/entry/process.js"));
});

afterAll(async () => {
  await aws?.stop();
});

/** Ingest -> queue -> process -> table -> GET, for one event body; answers the GET. */
async function roundTrip(body: string): Promise<APIGatewayProxyResult> {
  const accepted = await ingest(ingestEvent(body), lambdaContext());
  expect(accepted.statusCode, accepted.body).toBe(202);
  const { id } = bodyOf<{ id: string }>(accepted);
  const messages = await drainQueue(aws.sqs, aws.resources.queueUrl);
  expect(messages).toHaveLength(1);
  const records = messages.map((m) => toRecord(m, aws.resources.queueArn));
  const response = await processBatch({ Records: records }, lambdaContext());
  expect(response).toEqual({ batchItemFailures: [] });
  return query(apiEvent({ method: "GET", path: `/v1/events/${id}` }), lambdaContext());
}

describe("numbers from the API to the table and back", () => {
  const exact = [
    "9007199254740991",
    "9007199254740992",
    "-9007199254740992",
    "18014398509481984",
    "12345678901234567000",
    "1e21",
    "-1e20",
    "1.5e100",
    "9.99e125",
    "-9.99e125",
    "1e-130",
    "0.1",
    "123456.789",
  ];

  it.each(exact)("%s is stored and answered exactly", async (token) => {
    const answer = await roundTrip(`{"type":"numbers","data":{"n":${token},"list":[${token}]}}`);
    expect(answer.statusCode, answer.body).toBe(200);
    const stored = bodyOf<{ data: { n: number; list: number[] }; status: string }>(answer);
    expect(stored.status).toBe("processed");
    expect(stored.data.n).toBe(Number(token));
    expect(stored.data.list).toEqual([Number(token)]);
  });

  it("a number that would round is refused at the door, so never reaches the table", async () => {
    const refused = await ingest(
      ingestEvent('{"type":"numbers","data":{"n":9007199254740993}}'),
      lambdaContext(),
    );
    expect(refused.statusCode).toBe(400);
    expect(await drainQueue(aws.sqs, aws.resources.queueUrl)).toHaveLength(0);
  });
});
