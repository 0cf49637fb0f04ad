/**
 * A rule's route actions through the process handler, against the embedded emulators: the
 * deliveries of one invocation reach the delivery queue in one SendMessageBatch (not one
 * call per event), in the batch's order, each routed event's delivery once; and when that
 * call fails, exactly the records that had deliveries come back, the others are done.
 */
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DynamoDbRuleStore } from "../../../../lambdas/adapters/dynamodb-rule-store.js";
import { deliveryId } from "../../../../lambdas/domain/delivery.js";
import type { Rule } from "../../../../lambdas/domain/rules.js";
import type { HandlerClients } from "../../../../local/functions.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { deliver, getEventItem, lambdaContext, queued, sqsEvent } from "./process-fixtures.js";

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const DESTINATION = "dst_0000000000000000000000rte1";
const ROUTE_PURCHASES: Rule[] = [
  {
    name: "purchases-out",
    match: { type: ["purchase"] },
    actions: [
      {
        type: "route",
        destinations: [DESTINATION],
        transform: "{ 'order': subject, 'amount': data.amount }",
      },
    ],
  },
];

let aws: TestAws;
let clients: HandlerClients;
let handler: Handler;
let queue: { url: string; arn: string };
let tenant = 0;

beforeAll(async () => {
  aws = await startTestAws(["process"], { rulesCacheSeconds: 1 });
  queue = { url: aws.resources.queueUrl, arn: aws.resources.queueArn };
  clients = aws.handlerClients();
  handler = await aws.handler<Handler>("process", clients);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await aws?.stop();
});

/** A fresh tenant with the routing rule (no cache to wait out). */
async function routingTenant(): Promise<string> {
  const tenantId = `routes-${++tenant}`;
  const saved = await new DynamoDbRuleStore(aws.documentClient, {
    tableName: aws.resources.configTableName,
  }).save(tenantId, { version: 1, source: "tenant", rules: ROUTE_PURCHASES });
  expect(saved).toBe(true);
  return tenantId;
}

/** The SendMessageBatch calls the handler's SQS client made to the delivery queue. */
function deliveryCalls(spy: { mock: { calls: unknown[][] } }): unknown[] {
  return spy.mock.calls
    .map((args) => (args[0] as { input: { QueueUrl?: string; Entries?: unknown[] } }).input)
    .filter((input) => input.QueueUrl === aws.resources.deliveryQueueUrl && input.Entries);
}

async function drainDeliveryQueue(): Promise<Array<{ id: string; payload?: unknown }>> {
  const bodies: Array<{ id: string; payload?: unknown }> = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: aws.resources.deliveryQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) empty++;
    for (const m of Messages) bodies.push(JSON.parse(m.Body ?? "{}"));
  }
  return bodies;
}

describe("process handler: route actions", () => {
  it("enqueues one invocation's deliveries in one call, in the batch's order", async () => {
    const tenantId = await routingTenant();
    const messages = Array.from({ length: 10 }, (_, i) =>
      i % 3 === 2
        ? queued({ type: "page_view", data: { url: `/p/${i}` } }, { tenantId })
        : queued(
            { type: "purchase", subject: `order-${i}`, data: { amount: i + 1 } },
            { tenantId },
          ),
    );
    const routed = messages.filter((m) => m.event.type === "purchase");
    const records = await deliver(aws.sqs, queue, messages);
    const send = vi.spyOn(clients.sqs, "send");
    try {
      const response = await handler(sqsEvent(records), lambdaContext("process"));
      expect(response.batchItemFailures).toEqual([]);
      const calls = deliveryCalls(send) as Array<{ Entries: Array<{ MessageBody: string }> }>;
      expect(calls).toHaveLength(1);
      expect(calls[0]?.Entries.map((e) => JSON.parse(e.MessageBody).id)).toEqual(
        routed.map((m) => deliveryId(tenantId, m.event.id, DESTINATION)),
      );
    } finally {
      send.mockRestore();
    }
    const delivered = await drainDeliveryQueue();
    expect(delivered.map((d) => d.id).sort()).toEqual(
      routed.map((m) => deliveryId(tenantId, m.event.id, DESTINATION)).sort(),
    );
    const first = delivered.find(
      (d) => d.id === deliveryId(tenantId, routed[0]?.event.id ?? "", DESTINATION),
    );
    expect(first?.payload).toEqual({ order: "order-0", amount: 1 });
    for (const m of messages) {
      const item = await getEventItem(aws, tenantId, m.event.id);
      expect(item?.status).toBe("processed");
    }
  });

  it("a failed enqueue returns exactly the records that had deliveries", async () => {
    const tenantId = await routingTenant();
    const messages = [
      queued({ type: "purchase", subject: "order-a", data: { amount: 5 } }, { tenantId }),
      queued({ type: "page_view", data: { url: "/a" } }, { tenantId }),
      queued({ type: "purchase", subject: "order-b", data: { amount: 7 } }, { tenantId }),
    ];
    const records = await deliver(aws.sqs, queue, messages);
    const original = clients.sqs.send.bind(clients.sqs);
    const send = vi.spyOn(clients.sqs, "send").mockImplementation(((command: {
      input: { QueueUrl?: string; Entries?: unknown[] };
    }) => {
      if (command.input.QueueUrl === aws.resources.deliveryQueueUrl && command.input.Entries) {
        return Promise.reject(
          Object.assign(new Error("unavailable"), { name: "ServiceUnavailable" }),
        );
      }
      return (original as (c: unknown) => Promise<unknown>)(command);
    }) as never);
    try {
      const response = await handler(sqsEvent(records), lambdaContext("process"));
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        [records[0]?.messageId, records[2]?.messageId].sort(),
      );
    } finally {
      send.mockRestore();
    }
    // Each event was stored before its enqueue was tried: the retry finds it and enqueues.
    for (const m of messages) {
      expect((await getEventItem(aws, tenantId, m.event.id))?.status).toBe("processed");
    }
  });
});
