/**
 * The local event source mappings without HTTP (issue 20): the poller receiving and
 * deleting through the embedded fauxqs's own actions (local/emulators.ts DirectSqs), on
 * the emulator thread as `npm start` runs it and in-process. What Lambda does must not
 * change: the records equal the HTTP poller's, partial batch responses, retries after the
 * visibility timeout, redrive to the DLQ after maxReceiveCount, the batching window,
 * MaximumConcurrency, a prompt stop, and receive errors retried (not spun on).
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DirectSqs, type Emulators, startEmulators } from "../../../local/emulators.js";
import { type AnyHandler, invokeFunction } from "../../../local/lambda.js";
import { type RuntimeLogger, silentLogger } from "../../../local/log.js";
import { SqsPoller } from "../../../local/sqs-poller.js";

const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const pollers: SqsPoller[] = [];
let counter = 0;

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

describe.each([
  ["on the emulator thread", true],
  ["in-process", false],
])("direct SQS %s", (_label, thread) => {
  let emulators: Emulators;
  let sqs: SQSClient;
  let direct: DirectSqs;

  beforeAll(async () => {
    emulators = await startEmulators({ thread, dynamodb: false });
    sqs = new SQSClient({ endpoint: emulators.sqsEndpoint, region, credentials });
    if (!emulators.sqsDirect) throw new Error("the embedded SQS has no direct access");
    direct = emulators.sqsDirect;
  });

  afterAll(async () => {
    sqs.destroy();
    await emulators.stop();
  });

  async function attribute(url: string, name: "QueueArn" | "ApproximateNumberOfMessages") {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }),
    );
    return out.Attributes?.[name] ?? "";
  }

  async function createQueue(visibilityTimeout = 1, maxReceiveCount = 100) {
    const name = `d${++counter}`;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl;
    const dlqArn = await attribute(dlqUrl ?? "", "QueueArn");
    const url = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(visibilityTimeout),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
          },
        }),
      )
    ).QueueUrl;
    return { url: url ?? "", arn: await attribute(url ?? "", "QueueArn"), dlqUrl, dlqArn };
  }

  const depth = async (url: string) => Number(await attribute(url, "ApproximateNumberOfMessages"));

  async function send(url: string, count: number, attributes = false) {
    for (let i = 0; i < count; i += 10) {
      const entries = Array.from({ length: Math.min(10, count - i) }, (_, n) => ({
        Id: String(n),
        MessageBody: `m${i + n}`,
        ...(attributes
          ? {
              MessageAttributes: {
                correlationId: { DataType: "String", StringValue: "c-1" },
                blob: { DataType: "Binary", BinaryValue: Buffer.from("hi") },
              },
            }
          : {}),
      }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  }

  function poll(
    queue: { url: string; arn: string },
    handler: (event: SQSEvent) => Promise<unknown>,
    options: {
      batchSize?: number;
      window?: number;
      concurrency?: number;
      http?: boolean;
      deadLetterSourceArn?: string;
      logger?: RuntimeLogger;
    } = {},
  ) {
    const invocations: SQSRecord[][] = [];
    const poller = new SqsPoller({
      name: "test",
      sqs,
      ...(options.http ? {} : { direct }),
      queueUrl: queue.url,
      queueArn: queue.arn,
      region,
      batchSize: options.batchSize ?? 10,
      maxBatchingWindowSeconds: options.window ?? 0,
      maxConcurrency: options.concurrency ?? 1,
      ...(options.deadLetterSourceArn ? { deadLetterSourceArn: options.deadLetterSourceArn } : {}),
      logger: options.logger ?? silentLogger,
      invoke: (event) => {
        invocations.push(event.Records);
        const config = { name: "test", functionName: "fn", timeoutSeconds: 5, memoryMb: 128 };
        return invokeFunction({ ...config, region }, handler as AnyHandler, event);
      },
    });
    pollers.push(poller);
    poller.start();
    return { poller, invocations };
  }

  async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 8_000) {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const ids = (records: SQSRecord[] | undefined) => (records ?? []).map((r) => r.messageId);

  it("hands the function the same records as the HTTP poller", async () => {
    const [viaHttp, viaDirect] = [await createQueue(), await createQueue()];
    await send(viaHttp.url, 1, true);
    await send(viaDirect.url, 1, true);
    const a = poll(viaHttp, async () => null, { http: true });
    const b = poll(viaDirect, async () => null);
    await waitFor(() => a.invocations.length === 1 && b.invocations.length === 1);
    const comparable = (r: SQSRecord | undefined, arn: string) => ({
      ...r,
      messageId: typeof r?.messageId,
      receiptHandle: typeof r?.receiptHandle,
      eventSourceARN: r?.eventSourceARN === arn,
      attributes: { ...r?.attributes, SentTimestamp: "t", ApproximateFirstReceiveTimestamp: "t" },
    });
    const direct = comparable(b.invocations[0]?.[0], viaDirect.arn);
    expect(direct).toEqual(comparable(a.invocations[0]?.[0], viaHttp.arn));
    expect(direct).toMatchObject({
      body: "m0",
      eventSourceARN: true,
      messageAttributes: {
        blob: { binaryValue: Buffer.from("hi").toString("base64"), dataType: "Binary" },
        correlationId: { stringValue: "c-1", dataType: "String" },
      },
    });
    // Deleted through the direct path: nothing visible, and nothing returns.
    await waitFor(async () => (await depth(viaDirect.url)) === 0);
  });

  it("partial batch response: deletes the others; the listed ones return after the visibility timeout", async () => {
    const queue = await createQueue(1);
    await send(queue.url, 4);
    let failed: string[] = [];
    const { invocations } = poll(queue, async (event): Promise<SQSBatchResponse> => {
      if (failed.length > 0) return { batchItemFailures: [] };
      failed = ids(event.Records).slice(0, 2);
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
    await waitFor(() => invocations.length === 1);
    const firstAt = Date.now();
    await waitFor(() => invocations.flat().length >= 6);
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(800);
    const again = invocations.slice(1).flat();
    expect(ids(again).sort()).toEqual([...failed].sort());
    expect(again.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["2", "2"]);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(invocations.flat()).toHaveLength(6);
  });

  it("a handler that throws: the whole batch comes back", async () => {
    const queue = await createQueue(1);
    await send(queue.url, 3);
    let calls = 0;
    const { invocations } = poll(queue, async () => {
      if (++calls === 1) throw new Error("boom");
      return null;
    });
    await waitFor(() => invocations.flat().length >= 6);
    expect(ids(invocations[1]).sort()).toEqual(ids(invocations[0]).sort());
  });

  it("redrive: after maxReceiveCount receives the queue moves the message to the DLQ, whose poller reads it", async () => {
    const queue = await createQueue(1, 2);
    await send(queue.url, 1);
    const { invocations } = poll(queue, async () => {
      throw new Error("always fails");
    });
    const dlq = poll({ url: queue.dlqUrl ?? "", arn: queue.dlqArn }, async () => null, {
      deadLetterSourceArn: queue.arn,
    });
    await waitFor(() => dlq.invocations.length === 1);
    expect(invocations.flat().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2"]);
    expect(dlq.invocations[0]?.[0]).toMatchObject({
      body: "m0",
      eventSourceARN: queue.dlqArn,
      attributes: { DeadLetterQueueSourceArn: queue.arn },
    });
  });

  it("fills a batch beyond 10 records within the batching window", async () => {
    const queue = await createQueue(30);
    await send(queue.url, 25);
    const { invocations } = poll(queue, async () => null, { batchSize: 20, window: 1 });
    await waitFor(() => invocations.flat().length === 25);
    expect(invocations.map((b) => b.length)).toEqual([20, 5]);
  });

  it("never runs more than MaximumConcurrency batches at once", async () => {
    const queue = await createQueue(30);
    await send(queue.url, 12);
    let running = 0;
    let peak = 0;
    const { invocations } = poll(
      queue,
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 150));
        running--;
        return null;
      },
      { batchSize: 1, concurrency: 3 },
    );
    await waitFor(() => invocations.length === 12);
    expect(peak).toBe(3);
  });

  it("stops promptly while a long poll is open", async () => {
    const queue = await createQueue();
    const { poller } = poll(queue, async () => null, { concurrency: 3 });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a receive error (the queue is gone) is logged and retried a second later, not spun on", async () => {
    const queue = await createQueue();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url }));
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (message: string, fields?: Record<string, unknown>) => {
        warnings.push(`${message} ${String(fields?.error)}`);
      },
    } as RuntimeLogger;
    poll(queue, async () => null, { logger });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(warnings[0]).toContain("receive failed");
    expect(warnings[0]).toContain("QueueDoesNotExist");
  });
});
