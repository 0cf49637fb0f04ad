/**
 * The SQS adapter: batch chunking by count and bytes (observed on the real requests the
 * SDK sends to fauxqs), message bodies SQS accepts, and the retry rules for failed
 * entries. SQS never reports a service-side entry failure (SenderFault false) on demand,
 * so those cases drive the adapter with a scripted client.
 */
import {
  type SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  chunkBySize,
  ENQUEUE_REASON,
  messageBody,
  SQS_BATCH_MAX_BYTES,
  SqsEventQueue,
} from "../../../../lambdas/adapters/sqs-event-queue.js";
import type { QueuedEvent } from "../../../../lambdas/domain/event.js";
import { startTestAws, type TestAws } from "../../../support/aws.js";
import { bodies, drainQueue } from "../../../support/queue.js";

const message = (id: string, data: Record<string, unknown> = {}): QueuedEvent => ({
  v: 1,
  tenantId: "default",
  receivedAt: "2026-11-22T00:00:00.000Z",
  correlationId: "c-1",
  event: { id, type: "a", data },
});

describe("chunkBySize", () => {
  it("cuts at 10 entries and at the byte budget, keeping order", () => {
    const sizes = (n: number, bytes: number) => Array.from({ length: n }, (_, i) => ({ i, bytes }));
    expect(chunkBySize(sizes(25, 10)).map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunkBySize(sizes(5, 100_000)).map((c) => c.length)).toEqual([2, 2, 1]);
    const exact = chunkBySize(sizes(4, SQS_BATCH_MAX_BYTES / 2));
    expect(exact.map((c) => c.length)).toEqual([2, 2]);
    expect(
      chunkBySize(sizes(25, 10))
        .flat()
        .map((x) => x.i),
    ).toEqual([...Array(25).keys()]);
    expect(chunkBySize([])).toEqual([]);
  });
});

describe("against fauxqs", () => {
  let aws: TestAws;
  const sent: SendMessageBatchCommandInput[] = [];
  beforeAll(async () => {
    aws = await startTestAws([]);
    // Observe (not replace) what the SDK sends.
    aws.sqs.middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { Entries?: unknown }).Entries)
          sent.push(args.input as SendMessageBatchCommandInput);
        return next(args);
      },
      { step: "initialize" },
    );
  });
  afterAll(() => aws.stop());
  beforeEach(async () => {
    sent.length = 0;
    await drainQueue(aws.sqs, aws.resources.queueUrl);
  });

  it("splits large messages so no batch exceeds 256 KiB, and every message arrives", async () => {
    const queue = new SqsEventQueue(aws.sqs, aws.resources.queueUrl);
    const messages = Array.from({ length: 12 }, (_, i) =>
      message(`m${i}`, { blob: "x".repeat(60_000) }),
    );
    const result = await queue.enqueue(messages);
    expect(result).toEqual({ queued: [...Array(12).keys()], failed: [] });
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const batch of sent) {
      const entries = batch.Entries ?? [];
      expect(entries.length).toBeLessThanOrEqual(10);
      const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? "") + 100, 0);
      expect(bytes).toBeLessThanOrEqual(SQS_BATCH_MAX_BYTES);
    }
    const arrived = bodies<QueuedEvent>(await drainQueue(aws.sqs, aws.resources.queueUrl));
    expect(arrived.map((m) => m.event.id).sort()).toEqual(messages.map((m) => m.event.id).sort());
  });

  it("sends characters SQS refuses raw (U+FFFF, astral) as JSON escapes, same value", async () => {
    const data = { s: "a\uffffb\ufffe 😀 \u0001" };
    const body = messageBody(message("x", data));
    // Every UTF-16 unit is one SQS accepts on its own (no surrogates, no U+FFFE/F).
    const units = Array.from({ length: body.length }, (_, i) => body.charCodeAt(i));
    const allowed = (c: number) =>
      c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd);
    expect(units.filter((c) => !allowed(c))).toEqual([]);
    expect(JSON.parse(body)).toEqual(message("x", data));
    // The raw form is refused by the emulator, so the escaping is what makes it pass.
    await expect(
      aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: aws.resources.queueUrl,
          MessageBody: JSON.stringify(data),
        }),
      ),
    ).rejects.toThrow();
    const queue = new SqsEventQueue(aws.sqs, aws.resources.queueUrl);
    expect(await queue.enqueue([message("x", data)])).toEqual({ queued: [0], failed: [] });
    const [arrived] = bodies<QueuedEvent>(await drainQueue(aws.sqs, aws.resources.queueUrl));
    expect(arrived?.event.data).toEqual(data);
  });

  it("reports the queue depth", async () => {
    const queue = new SqsEventQueue(aws.sqs, aws.resources.queueUrl);
    await queue.enqueue([message("d1"), message("d2")]);
    expect(await queue.depth()).toBe(2);
    await expect(queue.ping()).resolves.toBeUndefined();
  });
});

/** A client that answers SendMessageBatch from a script, one answer per call. */
function scripted(
  answers: ((input: SendMessageBatchCommandInput) => Partial<SendMessageBatchCommandOutput>)[],
) {
  const calls: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const input = command.input;
      calls.push((input.Entries ?? []).map((e) => e.Id ?? ""));
      const answer = answers[calls.length - 1];
      if (!answer) throw new Error("unexpected call");
      return answer(input);
    },
  } as unknown as SQSClient;
  return { client, calls };
}

const ok = (ids: string[]) => ids.map((Id) => ({ Id, MessageId: `m-${Id}`, MD5OfMessageBody: "" }));
const fail = (Id: string, SenderFault: boolean) => ({ Id, SenderFault, Code: "InternalError" });

describe("entry failures", () => {
  const three = [message("a"), message("b"), message("c")];

  it("retries entries that failed on the service side, and only those", async () => {
    const { client, calls } = scripted([
      () => ({ Successful: ok(["0", "2"]), Failed: [fail("1", false)] }),
      () => ({ Successful: ok(["1"]), Failed: [] }),
    ]);
    const queue = new SqsEventQueue(client, "http://q", { baseDelayMs: 1 });
    expect(await queue.enqueue(three)).toEqual({ queued: [0, 1, 2], failed: [] });
    expect(calls).toEqual([["0", "1", "2"], ["1"]]);
  });

  it("gives up after maxAttempts and reports the entry failed", async () => {
    const always = () => ({ Successful: ok(["0", "2"]).slice(0, 0), Failed: [fail("1", false)] });
    const { client, calls } = scripted([
      () => ({ Successful: ok(["0", "2"]), Failed: [fail("1", false)] }),
      always,
      always,
    ]);
    const queue = new SqsEventQueue(client, "http://q", { baseDelayMs: 1, maxAttempts: 3 });
    expect(await queue.enqueue(three)).toEqual({
      queued: [0, 2],
      failed: [{ index: 1, reason: ENQUEUE_REASON.exhausted }],
    });
    expect(calls).toHaveLength(3);
  });

  it("does not retry entries the sender got wrong", async () => {
    const { client, calls } = scripted([
      () => ({ Successful: ok(["0", "1"]), Failed: [fail("2", true)] }),
    ]);
    const queue = new SqsEventQueue(client, "http://q", { baseDelayMs: 1 });
    expect(await queue.enqueue(three)).toEqual({
      queued: [0, 1],
      failed: [{ index: 2, reason: ENQUEUE_REASON.rejected }],
    });
    expect(calls).toHaveLength(1);
  });

  it("resends entries SQS did not mention, and fails the chunk when the call throws", async () => {
    const { client, calls } = scripted([
      () => ({ Successful: ok(["0"]) }),
      () => {
        throw new Error("socket hang up");
      },
    ]);
    const errors: string[] = [];
    const queue = new SqsEventQueue(client, "http://q", {
      baseDelayMs: 1,
      onError: (m) => errors.push(m),
    });
    expect(await queue.enqueue(three)).toEqual({
      queued: [0],
      failed: [
        { index: 1, reason: ENQUEUE_REASON.unavailable },
        { index: 2, reason: ENQUEUE_REASON.unavailable },
      ],
    });
    expect(calls).toEqual([
      ["0", "1", "2"],
      ["1", "2"],
    ]);
    expect(errors).toEqual(["SendMessageBatch failed"]);
  });

  it("sends chunks of at most 10 entries, indexes mapped back to the input", async () => {
    const answers = Array.from({ length: 3 }, () => (input: SendMessageBatchCommandInput) => ({
      Successful: ok((input.Entries ?? []).map((e) => e.Id ?? "")),
    }));
    const { client, calls } = scripted(answers);
    const queue = new SqsEventQueue(client, "http://q", { concurrency: 1 });
    const many = Array.from({ length: 25 }, (_, i) => message(`e${i}`));
    expect((await queue.enqueue(many)).queued).toEqual([...Array(25).keys()]);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(calls.flat()).toEqual([...Array(25).keys()].map(String));
  });
});
