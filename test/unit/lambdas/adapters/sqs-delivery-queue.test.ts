/**
 * The delivery queue's SQS adapter against fauxqs: unordered deliveries on the standard
 * queue, ordered ones on the FIFO queue under their subject's group (one in flight per
 * group, in the order sent), stable ids, and a repeat of the same delivery dropped by the
 * FIFO queue's deduplication.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqsDeliveryQueue } from "../../../../lambdas/adapters/sqs-delivery-queue.js";
import {
  type DeliveryMessage,
  type DeliveryRequest,
  deliveryId,
} from "../../../../lambdas/domain/delivery.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";

let aws: TestAws;
let queueUrl: string;
let fifoQueueUrl: string;

const DEST = "dst_aaaaaaaaaaaaaaaaaaaaaaaaaa";
const request = (id: string, subject?: string, ordered = false): DeliveryRequest => ({
  tenantId: "acme",
  destinationId: DEST,
  event: {
    id,
    type: "order.paid",
    receivedAt: "2026-12-06T10:00:00.000Z",
    data: { n: id },
    ...(subject ? { subject } : {}),
  },
  ordered,
});

async function createQueue(sqs: SQSClient, name: string, fifo: boolean): Promise<string> {
  const out = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      ...(fifo ? { Attributes: { FifoQueue: "true" } } : {}),
    }),
  );
  return out.QueueUrl ?? "";
}

async function receive(sqs: SQSClient, url: string, max = 10) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["MessageGroupId"],
    }),
  );
  return out.Messages ?? [];
}

beforeAll(async () => {
  aws = await startTestAws([]);
  queueUrl = await createQueue(aws.sqs, "deliveries-test", false);
  fifoQueueUrl = await createQueue(aws.sqs, "deliveries-test.fifo", true);
});

afterAll(async () => {
  await aws?.stop();
});

describe("SqsDeliveryQueue", () => {
  it("sends unordered deliveries to the standard queue with stable ids", async () => {
    const queue = new SqsDeliveryQueue(aws.sqs, { queueUrl, fifoQueueUrl });
    const results = await queue.enqueue(Array.from({ length: 23 }, (_, i) => request(`e-${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[0]?.id).toBe(deliveryId("acme", "e-0", DEST));
    const seen: DeliveryMessage[] = [];
    for (let i = 0; i < 10 && seen.length < 23; i++) {
      for (const m of await receive(aws.sqs, queueUrl)) {
        seen.push(JSON.parse(m.Body ?? "{}") as DeliveryMessage);
        await aws.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
    expect(seen.map((m) => m.event.id).sort()).toEqual(
      Array.from({ length: 23 }, (_, i) => `e-${i}`).sort(),
    );
    expect(seen[0]).toMatchObject({ v: 1, tenantId: "acme", destinationId: DEST, generation: 1 });
    expect(seen.every((m) => m.orderingKey === undefined)).toBe(true);
  });

  it("keeps ordered deliveries of one subject in one FIFO group, one in flight, in order", async () => {
    const queue = new SqsDeliveryQueue(aws.sqs, { queueUrl, fifoQueueUrl });
    const batch = [
      request("o-1", "user-1", true),
      request("o-2", "user-2", true),
      request("o-3", "user-1", true),
      request("o-4", "user-1", true),
    ];
    // A repeat of o-1 (the process function retried its event): the FIFO queue drops it.
    expect((await queue.enqueue(batch)).every((r) => r.ok)).toBe(true);
    expect((await queue.enqueue([request("o-1", "user-1", true)]))[0]?.ok).toBe(true);
    const order: string[] = [];
    for (let i = 0; i < 10 && order.length < 4; i++) {
      const got = await receive(aws.sqs, fifoQueueUrl);
      const groups = got.map((m) => m.Attributes?.MessageGroupId);
      // Never two messages of one group at once.
      expect(new Set(groups).size).toBe(groups.length);
      for (const m of got) {
        const body = JSON.parse(m.Body ?? "{}") as DeliveryMessage;
        order.push(body.event.id);
        await aws.sqs.send(
          new DeleteMessageCommand({ QueueUrl: fifoQueueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
    expect(order.filter((id) => ["o-1", "o-3", "o-4"].includes(id))).toEqual(["o-1", "o-3", "o-4"]);
    expect(order).toHaveLength(4);
    expect(await receive(aws.sqs, fifoQueueUrl)).toHaveLength(0);
  });

  it("reports a delivery SQS cannot take, and still sends the others", async () => {
    const queue = new SqsDeliveryQueue(aws.sqs, {
      queueUrl: `${queueUrl}-missing`,
      fifoQueueUrl,
      maxAttempts: 1,
    });
    const results = await queue.enqueue([request("x-1"), request("x-2", "s", true)]);
    expect(results[0]?.ok).toBe(false);
    expect(results[1]?.ok).toBe(true);
  });
});

describe("SqsDeliveryQueue with a destination ordering lookup", () => {
  it("sends a request that does not say to the FIFO queue when its destination is ordered", async () => {
    const queue = new SqsDeliveryQueue(aws.sqs, {
      queueUrl,
      fifoQueueUrl,
      ordering: { isOrdered: async (_t, d) => d === DEST },
    });
    const { ordered: _o, ...unsaid } = request("lookup-1", "user-9");
    expect((await queue.enqueue([unsaid]))[0]?.ok).toBe(true);
    const got = await receive(aws.sqs, fifoQueueUrl);
    expect(got.map((m) => (JSON.parse(m.Body ?? "{}") as DeliveryMessage).event.id)).toContain(
      "lookup-1",
    );
    for (const m of got) {
      await aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: fifoQueueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  });
});
