/**
 * The local SQS event source against fauxqs, with small test handlers: every row of
 * the partial batch response table (GUIDE §2), batching, concurrency, timeouts and
 * redrive.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AnyHandler, type InvokeOutcome, invokeFunction } from "../../../local/lambda.js";
import { decideBatch, SqsPoller } from "../../../local/sqs-poller.js";

process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let sqs: SQSClient;
let counter = 0;
const pollers: SqsPoller[] = [];

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${fauxqs.port}`,
    useQueueUrlAsEndpoint: false,
  });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  sqs.destroy();
  await fauxqs.stop();
});

interface TestQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

async function createQueue(visibilityTimeout = 1, maxReceiveCount = 100): Promise<TestQueue> {
  const name = `q${++counter}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? "";
  const dlqArn = await arnOf(dlqUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const url = queue.QueueUrl ?? "";
  return { url, arn: await arnOf(url), dlqUrl, dlqArn };
}

async function arnOf(url: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return out.Attributes?.QueueArn ?? "";
}

async function depth(url: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function send(url: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body })),
      }),
    );
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not met in time");
}

type TestHandler = (event: SQSEvent) => Promise<unknown>;

function startPoller(
  queue: TestQueue,
  handler: TestHandler,
  options: { batchSize?: number; window?: number; concurrency?: number; timeout?: number } = {},
) {
  const invocations: SQSRecord[][] = [];
  const outcomes: InvokeOutcome[] = [];
  const poller = new SqsPoller({
    name: "test",
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: "us-east-1",
    batchSize: options.batchSize ?? 10,
    maxBatchingWindowSeconds: options.window ?? 0,
    maxConcurrency: options.concurrency ?? 2,
    invoke: async (event) => {
      invocations.push(event.Records);
      const outcome = await invokeFunction(
        {
          name: "test",
          functionName: "test-fn",
          timeoutSeconds: options.timeout ?? 5,
          memoryMb: 128,
          region: "us-east-1",
        },
        handler as AnyHandler,
        event,
      );
      outcomes.push(outcome);
      return outcome;
    },
  });
  pollers.push(poller);
  poller.start();
  return { poller, invocations, outcomes };
}

const ids = (records: SQSRecord[]) => records.map((r) => r.messageId);

/** Invocations seen (after the first) for the records of the first batch. */
async function redeliveriesAfter(invocations: SQSRecord[][], waitMs = 2_500) {
  await new Promise((r) => setTimeout(r, waitMs));
  return invocations.slice(1).flat();
}

describe("Lambda's SQS record shape", () => {
  it("carries the fields and attributes Lambda sends", async () => {
    const queue = await createQueue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: {
          correlationId: { DataType: "String", StringValue: "c-1" },
          blob: { DataType: "Binary", BinaryValue: Buffer.from("hi") },
        },
      }),
    );
    const { invocations } = startPoller(queue, async () => ({ batchItemFailures: [] }));
    await waitFor(() => invocations.length === 1);
    const record = invocations[0]?.[0];
    expect(record).toMatchObject({
      body: '{"hello":"world"}',
      eventSource: "aws:sqs",
      eventSourceARN: queue.arn,
      awsRegion: "us-east-1",
      attributes: { ApproximateReceiveCount: "1" },
      messageAttributes: {
        correlationId: {
          stringValue: "c-1",
          stringListValues: [],
          binaryListValues: [],
          dataType: "String",
        },
        blob: { binaryValue: Buffer.from("hi").toString("base64"), dataType: "Binary" },
      },
    });
    expect(record?.messageId).toMatch(/[0-9a-f-]{36}/);
    expect(record?.receiptHandle).toBeTruthy();
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(record?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(
      Number(record?.attributes.SentTimestamp),
    );
    expect(record?.attributes.SenderId).toBeTruthy();
  });
});

describe("partial batch responses (GUIDE §2)", () => {
  it("batchItemFailures with some ids: deletes the others, the listed ones come back", async () => {
    const queue = await createQueue(1);
    await send(queue.url, ["a", "b", "c", "d"]);
    let failed: string[] = [];
    const { invocations } = startPoller(
      queue,
      async (event): Promise<SQSBatchResponse> => {
        if (failed.length > 0) return { batchItemFailures: [] };
        failed = ids(event.Records).slice(0, 2);
        return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
      },
      { concurrency: 1 },
    );
    await waitFor(() => invocations.length === 1);
    expect(invocations[0]).toHaveLength(4);
    await waitFor(() => invocations.length >= 2, 5_000);
    const again = await redeliveriesAfter(invocations);
    expect(ids(again).sort()).toEqual([...failed].sort());
    expect(again.every((r) => r.attributes.ApproximateReceiveCount === "2")).toBe(true);
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each([
    ["an empty list", async () => ({ batchItemFailures: [] })],
    ["null", async () => null],
    ["nothing", async () => undefined],
    ["an empty object", async () => ({})],
    ["batchItemFailures: null", async () => ({ batchItemFailures: null })],
  ])("%s: deletes the whole batch", async (_label, handler) => {
    const queue = await createQueue(1);
    await send(queue.url, ["a", "b", "c"]);
    const { invocations } = startPoller(queue, handler, { concurrency: 1 });
    await waitFor(() => invocations.length === 1);
    // Nothing visible and nothing in flight: no message can come back.
    await waitFor(async () => {
      const d = await depth(queue.url);
      return d.visible === 0 && d.inFlight === 0;
    }, 2_000);
    expect(invocations).toHaveLength(1);
  });

  it.each([
    [
      "throws",
      async () => {
        throw new Error("boom");
      },
    ],
    [
      "an unknown itemIdentifier",
      async () => ({ batchItemFailures: [{ itemIdentifier: "nope" }] }),
    ],
    ["an empty itemIdentifier", async () => ({ batchItemFailures: [{ itemIdentifier: "" }] })],
    ["a null itemIdentifier", async () => ({ batchItemFailures: [{ itemIdentifier: null }] })],
    ["a bad key name", async () => ({ batchItemFailures: [{ id: "x" }] })],
    ["batchItemFailures that is not a list", async () => ({ batchItemFailures: "all" })],
  ])("%s: deletes nothing, the whole batch comes back", async (_label, failing) => {
    const queue = await createQueue(1);
    await send(queue.url, ["a", "b", "c"]);
    let first: string[] = [];
    const { invocations } = startPoller(
      queue,
      async (event) => {
        if (first.length > 0) return { batchItemFailures: [] };
        first = ids(event.Records);
        return failing();
      },
      { concurrency: 1 },
    );
    await waitFor(() => invocations.length === 1);
    await waitFor(() => invocations.slice(1).flat().length >= 3, 5_000);
    expect(
      invocations
        .slice(1)
        .flat()
        .map((r) => r.messageId)
        .sort(),
    ).toEqual([...first].sort());
    await waitFor(async () => (await depth(queue.url)).visible === 0, 2_000);
  });

  it("a handler exceeding the function timeout counts as a failure", async () => {
    const queue = await createQueue(2);
    await send(queue.url, ["slow"]);
    let calls = 0;
    const { invocations, outcomes } = startPoller(
      queue,
      async () => {
        calls++;
        if (calls === 1) await new Promise((r) => setTimeout(r, 1_500));
        return { batchItemFailures: [] };
      },
      { timeout: 1, concurrency: 1 },
    );
    await waitFor(() => outcomes.length === 1);
    expect(outcomes[0]?.kind).toBe("timeout");
    await waitFor(() => invocations.length === 2, 5_000);
    expect(invocations[1]?.[0]?.attributes.ApproximateReceiveCount).toBe("2");
  });
});

describe("decideBatch", () => {
  const ok = (result: unknown): InvokeOutcome => ({
    kind: "ok",
    result,
    durationMs: 1,
    requestId: "r",
  });
  it("a non-object answer is invalid (the whole batch returns)", () => {
    expect(decideBatch(ok("done"), ["a"]).delete).toEqual([]);
    expect(decideBatch(ok([]), ["a"]).delete).toEqual([]);
  });
  it("listing every id deletes nothing", () => {
    const d = decideBatch(ok({ batchItemFailures: [{ itemIdentifier: "a" }] }), ["a"]);
    expect(d).toMatchObject({ verdict: "partial", delete: [] });
  });
});

describe("batching and concurrency", () => {
  it("fills a batch beyond 10 records within the batching window", async () => {
    const queue = await createQueue(30);
    await send(
      queue.url,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );
    const { invocations } = startPoller(queue, async () => null, {
      batchSize: 20,
      window: 1,
      concurrency: 1,
    });
    await waitFor(() => invocations.flat().length === 25, 8_000);
    expect(invocations.map((b) => b.length)).toEqual([20, 5]);
  });

  it("with no batching window, invokes with what one receive returns", async () => {
    const queue = await createQueue(30);
    const { invocations } = startPoller(queue, async () => null, { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 200));
    await send(queue.url, ["only"]);
    await waitFor(() => invocations.length === 1, 3_000);
    expect(invocations[0]).toHaveLength(1);
  });

  it("never runs more than MaximumConcurrency batches at once", async () => {
    const queue = await createQueue(30);
    await send(
      queue.url,
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
    let running = 0;
    let peak = 0;
    const { invocations } = startPoller(
      queue,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 150));
        running--;
        return null;
      },
      { batchSize: 1, concurrency: 3 },
    );
    await waitFor(() => invocations.length === 12, 8_000);
    expect(peak).toBe(3);
  });

  it("stops promptly while a long poll is open", async () => {
    const queue = await createQueue();
    const { poller } = startPoller(queue, async () => null);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("redrive (the queue's job, not the poller's)", () => {
  it("a message failing maxReceiveCount times lands in the DLQ", async () => {
    const queue = await createQueue(1, 2);
    await send(queue.url, ["poison"]);
    const { invocations } = startPoller(queue, async () => {
      throw new Error("always fails");
    });
    await waitFor(async () => (await depth(queue.dlqUrl)).visible === 1, 8_000);
    expect(invocations.flat().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2"]);
    expect(await depth(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
