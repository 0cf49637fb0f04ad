/**
 * The destination kinds' transports: SQS and SNS against fauxqs (the real services' wire
 * protocol), SES v2 and EventBridge at the adapter with the requests the SDK would send
 * (the commands' inputs, checked against the services' documented shapes), and how AWS
 * errors become retryable or final attempts.
 */
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendEmailCommand } from "@aws-sdk/client-sesv2";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDeliverySenders,
  type SenderClients,
} from "../../../../lambdas/adapters/delivery-senders.js";
import { HttpDeliveryClient } from "../../../../lambdas/adapters/http-delivery-client.js";
import type { DeliveryMessage } from "../../../../lambdas/domain/delivery.js";
import type { Destination, DestinationTarget } from "../../../../lambdas/domain/destination.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { drainQueue } from "../../../support/queue.js";

let aws: TestAws;
let sns: SNSClient;
const sent: { name: string; input: unknown }[] = [];
const recorder = (answer: (input: unknown) => unknown = () => ({})) => ({
  send: (async (command: { constructor: { name: string }; input: unknown }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return answer(command.input);
  }) as never,
});

const message: DeliveryMessage = {
  v: 1,
  id: "dlv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  tenantId: "acme",
  destinationId: "dst_aaaaaaaaaaaaaaaaaaaaaaaaaa",
  event: {
    id: "order-1",
    type: "order.paid",
    subject: "user-42",
    time: "2026-12-06T10:00:00.000Z",
    receivedAt: "2026-12-06T10:00:00.100Z",
    data: { amount: 1250 },
  },
  generation: 1,
  enqueuedAt: "2026-12-06T10:00:01.000Z",
};

const destination = (target: DestinationTarget): Destination => ({
  id: message.destinationId,
  tenantId: "acme",
  name: "t",
  target,
  ordered: false,
  enabled: true,
  createdAt: "2026-12-06T09:00:00.000Z",
  updatedAt: "2026-12-06T09:00:00.000Z",
});

let clients: SenderClients;

beforeAll(async () => {
  aws = await startTestAws([]);
  sns = new SNSClient({ endpoint: aws.emulators.sqsEndpoint, region: "us-east-1" });
  clients = {
    http: new HttpDeliveryClient({
      policy: { allowLoopback: true },
      connectTimeoutMs: 500,
      responseTimeoutMs: 500,
    }),
    sqs: aws.sqs,
    sns,
    eventBridge: recorder(() => ({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] })),
    ses: recorder(() => ({ MessageId: "m-1" })),
    emailFrom: "events@example.com",
  };
});

afterAll(async () => {
  sns?.destroy();
  await aws?.stop();
});

describe("SQS and SNS against fauxqs", () => {
  it("sends the event in its envelope to a queue, with the delivery id as an attribute", async () => {
    const url =
      (await aws.sqs.send(new CreateQueueCommand({ QueueName: "eventflow-dest-orders" })))
        .QueueUrl ?? "";
    const senders = createDeliverySenders(clients);
    const result = await senders.sqs.send(
      destination({ kind: "sqs", queueUrl: url }),
      message,
      new Date(),
    );
    expect(result.outcome).toBe("delivered");
    const [got] = await drainQueue(aws.sqs, url);
    expect(JSON.parse(got?.Body ?? "{}")).toMatchObject({
      type: "order.paid",
      data: { id: "order-1" },
    });
    expect(got?.MessageAttributes?.["eventflow-delivery-id"]?.StringValue).toBe(message.id);
  });

  it("puts the subject in the group of a FIFO queue, the delivery id as deduplication id", async () => {
    const url =
      (
        await aws.sqs.send(
          new CreateQueueCommand({
            QueueName: "eventflow-dest-o.fifo",
            Attributes: { FifoQueue: "true" },
          }),
        )
      ).QueueUrl ?? "";
    const senders = createDeliverySenders(clients);
    expect(
      (await senders.sqs.send(destination({ kind: "sqs", queueUrl: url }), message, new Date()))
        .outcome,
    ).toBe("delivered");
    const [got] = await drainQueue(aws.sqs, url);
    expect(got).toBeDefined();
  });

  it("publishes to a topic (and its SQS subscriber gets it)", async () => {
    const topicArn =
      (await sns.send(new CreateTopicCommand({ Name: "eventflow-dest-topic" }))).TopicArn ?? "";
    const url =
      (await aws.sqs.send(new CreateQueueCommand({ QueueName: "eventflow-dest-sub" }))).QueueUrl ??
      "";
    const queueArn = (
      await aws.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
      )
    ).Attributes?.QueueArn;
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }),
    );
    const senders = createDeliverySenders(clients);
    const result = await senders.sns.send(
      destination({ kind: "sns", topicArn }),
      message,
      new Date(),
    );
    expect(result.outcome).toBe("delivered");
    const [got] = await drainQueue(aws.sqs, url);
    expect(got?.Body).toContain("order.paid");
  });

  it("a queue that does not exist is a final failure (4xx), not retried", async () => {
    const senders = createDeliverySenders(clients);
    const result = await senders.sqs.send(
      destination({
        kind: "sqs",
        queueUrl: `${aws.emulators.sqsEndpoint}/000000000000/eventflow-dest-missing`,
      }),
      message,
      new Date(),
    );
    expect(result.outcome).toBe("final");
    expect(result.error).toBeDefined();
  });
});

describe("SES v2 and EventBridge at the adapter", () => {
  it("sends an email: SendEmail with a simple content from the templates", async () => {
    sent.length = 0;
    const senders = createDeliverySenders(clients);
    const result = await senders.email.send(
      destination({
        kind: "email",
        to: ["ops@example.com"],
        subject: "Paid: {{data.amount}}",
        template: "{{subject}} paid {{data.amount}}",
      }),
      message,
      new Date(),
    );
    expect(result.outcome).toBe("delivered");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.name).toBe(SendEmailCommand.name);
    expect(sent[0]?.input).toEqual({
      FromEmailAddress: "events@example.com",
      Destination: { ToAddresses: ["ops@example.com"] },
      Content: {
        Simple: {
          Subject: { Data: "Paid: 1250", Charset: "UTF-8" },
          Body: { Text: { Data: "user-42 paid 1250", Charset: "UTF-8" } },
        },
      },
      EmailTags: [{ Name: "eventflow-delivery", Value: message.id }],
    });
  });

  it("puts one EventBridge entry: bus, source, detail-type = event type, detail = envelope", async () => {
    sent.length = 0;
    const senders = createDeliverySenders(clients);
    const bus = "arn:aws:events:us-east-1:123456789012:event-bus/eventflow-dest-bus";
    const result = await senders.eventbridge.send(
      destination({ kind: "eventbridge", eventBusArn: bus }),
      message,
      new Date(),
    );
    expect(result).toMatchObject({ outcome: "delivered", response: "EventId e-1" });
    expect(sent[0]?.name).toBe(PutEventsCommand.name);
    const input = sent[0]?.input as { Entries: Record<string, unknown>[] };
    expect(input.Entries).toHaveLength(1);
    expect(input.Entries[0]).toMatchObject({
      EventBusName: bus,
      Source: "eventflow.acme",
      DetailType: "order.paid",
      Time: new Date("2026-12-06T10:00:00.000Z"),
    });
    expect(JSON.parse(String(input.Entries[0]?.Detail))).toMatchObject({
      type: "order.paid",
      data: { id: "order-1" },
    });
  });

  it("a throttled entry is retried, a malformed one is final; an SDK 5xx is retried", async () => {
    const entryFailing = (code: string) =>
      createDeliverySenders({
        ...clients,
        eventBridge: recorder(() => ({
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: code, ErrorMessage: "x" }],
        })),
      });
    const bus = {
      kind: "eventbridge" as const,
      eventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/eventflow-dest-b",
    };
    expect(
      (
        await entryFailing("ThrottlingException").eventbridge.send(
          destination(bus),
          message,
          new Date(),
        )
      ).outcome,
    ).toBe("retryable");
    expect(
      (
        await entryFailing("MalformedDetail").eventbridge.send(
          destination(bus),
          message,
          new Date(),
        )
      ).outcome,
    ).toBe("final");
    const down = createDeliverySenders({
      ...clients,
      ses: {
        send: (async () => {
          throw Object.assign(new Error("unavailable"), {
            name: "InternalFailure",
            $metadata: { httpStatusCode: 503 },
          });
        }) as never,
      },
    });
    const email = await down.email.send(
      destination({ kind: "email", to: ["a@example.com"] }),
      message,
      new Date(),
    );
    expect(email.outcome).toBe("retryable");
  });
});
