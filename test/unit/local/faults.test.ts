/**
 * Fault injection on a DynamoDB client against dynalite: what the SDK and the
 * handlers see must be what AWS would send.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulators, startEmulators } from "../../../local/emulators.js";
import { Faults, InjectedCrash } from "../../../local/faults.js";
import { currentInvocation } from "../../../local/lambda.js";

process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

let emulators: Emulators;
let client: DynamoDBClient;
let faults: Faults;
const TableName = "faults";

beforeAll(async () => {
  emulators = await startEmulators({ sqs: false });
  client = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, maxAttempts: 3 });
  await client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  faults = new Faults();
  faults.install(client);
});

beforeEach(() => {
  faults.clear();
});

afterAll(async () => {
  client.destroy();
  await emulators.stop();
});

describe("DynamoDB throttling", () => {
  it("answers with DynamoDB's real exception, after the SDK's own retries", async () => {
    faults.update({ dynamodbThrottleRate: 1 });
    const error = await client
      .send(new PutItemCommand({ TableName, Item: { pk: { S: "a" } } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    const e = error as ProvisionedThroughputExceededException;
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.$metadata.attempts).toBe(3);
    expect(e.$fault).toBe("client");
    expect(e.ThrottlingReasons?.[0]?.reason).toBe("TableWriteKeyRangeThroughputExceeded");
    expect(faults.snapshot().counts.dynamodbThrottled).toBe(3);
  });

  it("reaches the document client built on the shared client", async () => {
    faults.update({ dynamodbThrottleRate: 1 });
    const doc = DynamoDBDocumentClient.from(client);
    await expect(doc.send(new PutCommand({ TableName, Item: { pk: "b" } }))).rejects.toBeInstanceOf(
      ProvisionedThroughputExceededException,
    );
  });

  it("a partial rate is absorbed by the SDK retry most of the time", async () => {
    faults.update({ dynamodbThrottleRate: 0.3 });
    let ok = 0;
    for (let i = 0; i < 15; i++) {
      await client
        .send(new PutItemCommand({ TableName, Item: { pk: { S: `r${i}` } } }))
        .then(() => ok++)
        .catch(() => {});
    }
    // P(3 throttles in a row) = 2.7%: expect nearly all to succeed.
    expect(ok).toBeGreaterThanOrEqual(12);
    expect(faults.snapshot().counts.dynamodbThrottled).toBeGreaterThan(0);
  });

  it("is off by default", async () => {
    await client.send(new PutItemCommand({ TableName, Item: { pk: { S: "c" } } }));
    const out = await client.send(new GetItemCommand({ TableName, Key: { pk: { S: "c" } } }));
    expect(out.Item?.pk?.S).toBe("c");
  });
});

describe("DynamoDB unreachable", () => {
  it("fails every call with the SDK's network error until the outage ends", async () => {
    faults.update({ dynamodbUnreachableSeconds: 1 });
    const error = (await client
      .send(new GetItemCommand({ TableName, Key: { pk: { S: "c" } } }))
      .catch((e: unknown) => e)) as Error & { code?: string; $metadata?: { attempts?: number } };
    expect(error.code).toBe("ECONNREFUSED");
    expect(error.$metadata?.attempts).toBe(3);
    await new Promise((r) => setTimeout(r, 1_100));
    await client.send(new GetItemCommand({ TableName, Key: { pk: { S: "c" } } }));
  });
});

describe("poison type", () => {
  it("fails the process function's writes of that type only", async () => {
    faults.update({ poisonType: "poison" });
    const item = { pk: { S: "p" }, type: { S: "poison" } };
    await expect(
      currentInvocation.run({ function: "process", requestId: "r" }, () =>
        client.send(new PutItemCommand({ TableName, Item: item })),
      ),
    ).rejects.toBeInstanceOf(InternalServerError);
    // Another type, or another function (the DLQ consumer), goes through.
    await currentInvocation.run({ function: "process", requestId: "r" }, () =>
      client.send(new PutItemCommand({ TableName, Item: { pk: { S: "q" }, type: { S: "fine" } } })),
    );
    await currentInvocation.run({ function: "dlq", requestId: "r" }, () =>
      client.send(new PutItemCommand({ TableName, Item: item })),
    );
  });
});

describe("crash after write", () => {
  it("draws per batch at the configured rate", () => {
    const draws = [0.1, 0.9];
    const f = new Faults(() => draws.shift() ?? 1);
    f.update({ crashAfterWriteRate: 0.5 });
    expect([f.shouldCrash(), f.shouldCrash()]).toEqual([true, false]);
    expect(new InjectedCrash().name).toBe("InjectedCrash");
  });

  it("rejects values out of range", () => {
    expect(() => faults.update({ crashAfterWriteRate: 2 })).toThrow();
    expect(() => faults.update({ unknown: 1 } as never)).toThrow();
  });
});

describe("slow table", () => {
  it("adds the latency to every request, and stops when set to 0", async () => {
    faults.update({ dynamodbLatencyMs: 50 });
    const delayed = faults.counts.dynamodbDelayed;
    await client.send(new GetItemCommand({ TableName, Key: { pk: { S: "slow" } } }));
    expect(faults.counts.dynamodbDelayed).toBe(delayed + 1);
    faults.update({ dynamodbLatencyMs: 0 });
    expect(faults.snapshot().dynamodbLatencyMs).toBe(0);
  });
});

describe("queue visibility", () => {
  it("applies the visibility through the runtime's hook and restores it on clear", async () => {
    const applied: (number | null)[] = [];
    const f = new Faults();
    f.bindQueue(async (seconds) => {
      applied.push(seconds);
    });
    f.update({ queueVisibilityTimeoutSeconds: 2 });
    await f.settled();
    expect(f.active).toBe(true);
    f.clear();
    await f.settled();
    // Clearing again changes nothing: the queue already has the stack's value.
    f.clear();
    await f.settled();
    expect(applied).toEqual([2, null]);
  });

  it("reports a failed change once, then applies the next", async () => {
    const f = new Faults();
    let fail = true;
    f.bindQueue(async () => {
      if (fail) throw new Error("SQS down");
    });
    f.update({ queueVisibilityTimeoutSeconds: 1 });
    await expect(f.settled()).rejects.toThrow("SQS down");
    fail = false;
    f.update({ queueVisibilityTimeoutSeconds: null });
    await expect(f.settled()).resolves.toBeUndefined();
  });
});
