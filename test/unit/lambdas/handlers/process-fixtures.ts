/**
 * Fixtures for the process and dlq handler tests: queue messages sent to and received
 * from the emulator queue (so receipt handles are real and ChangeMessageVisibility
 * works), turned into the SQSEvent Lambda would deliver.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import {
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import type { MockInstance } from "vitest";
import { statsPartition } from "../../../../lambdas/adapters/dynamodb-keys.js";
import type { QueuedEvent } from "../../../../lambdas/domain/event.js";
import type { TestAws } from "../../../support/aws.js";

let seq = 0;
export const uniqueId = (prefix = "evt") => `${prefix}-${Date.now()}-${++seq}`;

export function queued(
  event: Partial<QueuedEvent["event"]> & { type: string },
  overrides: Partial<Omit<QueuedEvent, "event">> = {},
): QueuedEvent {
  return {
    v: 1,
    tenantId: "acme",
    receivedAt: new Date(Date.now() - 250).toISOString(),
    correlationId: `corr-${randomUUID()}`,
    ...overrides,
    event: { id: uniqueId(), data: {}, ...event },
  };
}

export interface Outgoing {
  /** A QueuedEvent, or a raw body string. */
  body: QueuedEvent | string;
  correlationId?: string;
}

const toOutgoing = (m: Outgoing | QueuedEvent): Outgoing =>
  typeof m === "object" && "v" in m ? { body: m, correlationId: m.correlationId } : m;

/** Sends the messages, receives them all back (really), and maps them as Lambda does. */
export async function deliver(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  messages: (Outgoing | QueuedEvent)[],
): Promise<SQSRecord[]> {
  const outgoing = messages.map(toOutgoing);
  for (let i = 0; i < outgoing.length; i += 10) {
    const chunk = outgoing.slice(i, i + 10);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: typeof m.body === "string" ? m.body : JSON.stringify(m.body),
          ...(m.correlationId
            ? {
                MessageAttributes: {
                  correlationId: { DataType: "String", StringValue: m.correlationId },
                },
              }
            : {}),
        })),
      }),
    );
  }
  // Receive until every sent body is back. Messages left visible by an earlier test are
  // ignored (they stay in flight for the queue's visibility timeout, out of the way).
  const wanted = outgoing.map((m) =>
    typeof m.body === "string" ? m.body : JSON.stringify(m.body),
  );
  const found = new Map<number, Message>();
  for (let tries = 0; found.size < wanted.length && tries < 30; tries++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    for (const message of Messages) {
      const index = wanted.findIndex((body, i) => body === message.Body && !found.has(i));
      if (index >= 0) found.set(index, message);
    }
  }
  // In the order given: a test refers to records by position.
  return wanted.map((_, i) => {
    const message = found.get(i);
    if (!message) throw new Error(`message ${i} was sent but never received`);
    return toRecord(message, queue.arn);
  });
}

export async function receiveNow(
  sqs: SQSClient,
  queueUrl: string,
  waitTimeSeconds = 0,
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
      WaitTimeSeconds: waitTimeSeconds,
    }),
  );
  return Messages;
}

export function toRecord(message: Message, queueArn: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  const correlation = message.MessageAttributes?.correlationId;
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp:
        attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: correlation?.StringValue
      ? {
          correlationId: {
            stringValue: correlation.StringValue,
            dataType: correlation.DataType ?? "String",
            stringListValues: [],
            binaryListValues: [],
          },
        }
      : {},
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: process.env.AWS_REGION ?? "us-east-1",
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

export function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `eventflow-${name}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:eventflow-${name}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/eventflow-${name}`,
    logStreamName: "test",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function getEventItem(
  aws: TestAws,
  tenantId: string,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await aws.documentClient.send(
    new GetCommand({
      TableName: aws.resources.tableName,
      Key: { pk: `T#${tenantId}#E#${id}`, sk: "EVENT" },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** All stats items of a tenant (raw, one per hour and shard). */
/** Every statistics item of a tenant, across its statsShards partitions. */
export async function statsItems(aws: TestAws, tenantId: string) {
  const shards = Array.from({ length: aws.settings.statsShards }, (_, shard) => shard);
  const pages = await Promise.all(
    shards.map((shard) =>
      aws.documentClient.send(
        new QueryCommand({
          TableName: aws.resources.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": statsPartition(tenantId, shard) },
          ConsistentRead: true,
        }),
      ),
    ),
  );
  return pages.flatMap((p) => p.Items ?? []);
}

/** Sums the stats of a tenant per type across hours and shards (`<outcome>#<type>`). */
export async function statsByType(aws: TestAws, tenantId: string) {
  const totals: Record<string, { processed: number; failed: number; duplicate: number }> = {};
  for (const item of await statsItems(aws, tenantId)) {
    for (const [name, value] of Object.entries(item)) {
      const match = /^(processed|failed|duplicate)#(.+)$/.exec(name);
      if (!match) continue;
      const [, outcome, type] = match as unknown as [string, "processed", string];
      const t = totals[type] ?? { processed: 0, failed: 0, duplicate: 0 };
      totals[type] = t;
      t[outcome] += Number(value);
    }
  }
  return totals;
}

// biome-ignore lint/suspicious/noExplicitAny: a spy on Metrics.addMetric, whatever its overloads.
type AddMetricSpy = MockInstance<(...args: any[]) => unknown>;

/** Sum of the values a metric got through addMetric. */
export const metricTotal = (spy: AddMetricSpy, name: string): number =>
  spy.mock.calls.filter((c) => c[0] === name).reduce((sum, c) => sum + Number(c[2]), 0);

export const metricValues = (spy: AddMetricSpy, name: string): number[] =>
  spy.mock.calls.filter((c) => c[0] === name).map((c) => Number(c[2]));

/** A loopback port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
