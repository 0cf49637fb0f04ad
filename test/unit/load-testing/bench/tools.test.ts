/** The bench's option parsing, AWS stub and request counter; no timing, no network. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import {
  cannedResponse,
  installStub,
  StubRequestHandler,
} from "../../../../load-testing/bench/aws-stub.js";
import { literalBody, stringBody } from "../../../../load-testing/bench/json.js";
import { BenchUsageError, parseBenchOptions } from "../../../../load-testing/bench/options.js";
import { RequestCounter } from "../../../../load-testing/bench/request-counter.js";

describe("bench options", () => {
  it("runs every section by default, in order", () => {
    expect(parseBenchOptions([])).toEqual({
      sections: [
        "handlers",
        "coldstart",
        "cost",
        "json",
        "rules",
        "sdk",
        "windows",
        "schemas",
        "history",
        "pipeline",
      ],
      quick: false,
    });
    expect(parseBenchOptions(["--only", "cost, handlers", "--quick"])).toEqual({
      sections: ["handlers", "cost"],
      quick: true,
    });
    expect(parseBenchOptions(["--out", "x.json"])).toMatchObject({ out: "x.json" });
    expect(parseBenchOptions(["--help"])).toBe("help");
  });

  it("times the json section's literal against a string body of exactly its size", () => {
    for (const digits of [3, 20_000, 60_000]) {
      const literal = literalBody(digits);
      expect(literal).toContain(`1.${"0".repeat(digits - 2)}1}`);
      expect(Buffer.byteLength(stringBody(digits))).toBe(Buffer.byteLength(literal));
    }
  });

  it("refuses unknown sections and flags", () => {
    expect(() => parseBenchOptions(["--only", "speed"])).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(["--only", ""])).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(["--fast"])).toThrow(BenchUsageError);
  });
});

const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test" };
const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

describe("AWS stub", () => {
  it("answers SendMessageBatch with the body MD5 SQS would return", () => {
    const answer = cannedResponse(
      "AmazonSQS.SendMessageBatch",
      JSON.stringify({ Entries: [{ Id: "a", MessageBody: "hello" }] }),
    );
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({
      Successful: [{ Id: "a", MD5OfMessageBody: "5d41402abc4b2a76b9719d911017c592" }],
      Failed: [],
    });
    expect(cannedResponse("AmazonSQS.Nope", "{}").statusCode).toBe(400);
  });

  it("stands in for SQS and DynamoDB behind real SDK clients, counted by the middleware", async () => {
    // An endpoint nothing listens on: any real request would fail.
    const endpoint = "http://127.0.0.1:9";
    const sqs = new SQSClient({
      region: "us-east-1",
      credentials,
      endpoint,
      useQueueUrlAsEndpoint: false,
      maxAttempts: 1,
    });
    const dynamodb = new DynamoDBClient({
      region: "us-east-1",
      credentials,
      endpoint,
      maxAttempts: 1,
    });
    clients.push(sqs, dynamodb);
    const documents = DynamoDBDocumentClient.from(dynamodb);
    const stub = new StubRequestHandler();
    const restore = installStub([sqs, dynamodb], stub);
    const counter = new RequestCounter();
    counter.attach(sqs, "test");
    counter.attach(dynamodb, "test");

    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: `${endpoint}/000000000000/q`,
        Entries: [
          { Id: "a", MessageBody: "hello" },
          { Id: "b", MessageBody: "x".repeat(70_000) },
        ],
      }),
    );
    // The SDK checked both MD5s.
    expect(sent.Successful?.map((s) => s.Id)).toEqual(["a", "b"]);
    await documents.send(
      new PutCommand({ TableName: "t", Item: { pk: "p", sk: "s", data: "y".repeat(1500) } }),
    );
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "q" }))).rejects.toThrow(/stub/);

    expect(stub.requests).toBe(3);
    expect(counter.summary()).toEqual([
      expect.objectContaining({ service: "DynamoDB", operation: "PutItem", requests: 1 }),
      expect.objectContaining({ service: "SQS", operation: "GetQueueUrl", failed: 1 }),
      expect.objectContaining({
        service: "SQS",
        operation: "SendMessageBatch",
        requests: 1,
        payloadBytes: 70_005,
        billedRequests: 2,
      }),
    ]);
    expect(counter.wru).toEqual({ table: 2 });

    restore();
    expect(sqs.config.requestHandler).not.toBe(stub);
  });
});
