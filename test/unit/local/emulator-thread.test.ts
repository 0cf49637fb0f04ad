/**
 * The emulators on a worker thread (what the local runtime uses): the same endpoints,
 * the same data folder (messages survive a restart, the synchronous=NORMAL patch keeps
 * them), a queue's timeline through the thread, and a clean stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterEach, expect, it } from "vitest";
import { DynamoDbEventWriter } from "../../../lambdas/adapters/dynamodb-event-writer.js";
import { type Emulators, startEmulators } from "../../../local/emulators.js";
import { tableDefinition } from "../../../local/resources.js";

const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const running: Emulators[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir?: string) {
  const emulators = await startEmulators({ thread: true, ...(dataDir ? { dataDir } : {}) });
  running.push(emulators);
  const sqs = new SQSClient({ endpoint: emulators.sqsEndpoint, region, credentials });
  const dynamodb = new DynamoDBClient({
    endpoint: emulators.dynamodbEndpoint,
    region,
    credentials,
  });
  return { emulators, sqs, dynamodb };
}

it("serves SQS and DynamoDB from the thread, with the conditional write the handlers use", async () => {
  const { emulators, sqs, dynamodb } = await start();
  try {
    await dynamodb.send(new CreateTableCommand(tableDefinition("events")));
    const writer = new DynamoDbEventWriter(DynamoDBDocumentClient.from(dynamodb), {
      tableName: "events",
      eventRetentionDays: 0,
      timeShards: 4,
      typeShards: 4,
      statsShards: 4,
      failedShards: 8,
    });
    const event = {
      id: "e-1",
      tenantId: "t",
      type: "purchase",
      data: { amount: 1 },
      status: "processed" as const,
      receivedAt: "2026-11-22T03:00:00.000Z",
      correlationId: "c-1",
      attempts: 1,
    };
    expect(await writer.putIfAbsent(event)).toEqual({ kind: "written" });
    expect(await writer.putIfAbsent(event)).toMatchObject({ kind: "duplicate", same: true });
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: "events",
        Key: { pk: { S: "T#t#E#e-1" }, sk: { S: "EVENT" } },
      }),
    );
    expect(Item?.type?.S).toBe("purchase");

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "q" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "a" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "b" }));
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }),
    );
    const timeline = await emulators.inspectQueue?.("q");
    expect(timeline?.ready).toBe(1);
    expect(timeline?.returnsAt).toHaveLength(1);
    expect(await emulators.inspectQueue?.("no-such-queue")).toBeUndefined();
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
});

it("keeps queued messages in the data folder across a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "eventflow-thread-"));
  dirs.push(dataDir);
  const first = await start(dataDir);
  const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: "q" }));
  for (const body of ["one", "two"]) {
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  }
  first.sqs.destroy();
  first.dynamodb.destroy();
  await first.emulators.stop();
  running.splice(0);
  await first.emulators.stop(); // a second stop is harmless

  const second = await start(dataDir);
  try {
    const again = await second.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect((again.Messages ?? []).map((m) => m.Body).sort()).toEqual(["one", "two"]);
  } finally {
    second.sqs.destroy();
    second.dynamodb.destroy();
  }
});

it("reports a start-up failure instead of hanging", async () => {
  // A data folder that is a file: the thread cannot create its databases.
  const dir = mkdtempSync(join(tmpdir(), "eventflow-thread-"));
  dirs.push(dir);
  const file = join(dir, "not-a-folder");
  (await import("node:fs")).writeFileSync(file, "");
  await expect(startEmulators({ thread: true, dataDir: file })).rejects.toThrow();
});
