/**
 * EventQueue on SQS: SendMessageBatch in chunks that respect both SQS batch limits (10
 * entries, 256 KiB of payload), entries that fail on the service side retried with
 * backoff, and a per-input answer so the API never reports "queued" for a message that
 * did not reach the queue.
 */
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { CORRELATION_ATTRIBUTE } from "../../lib/contracts/observability.js";
import type { QueuedEvent } from "../domain/event.js";
import type { EnqueueResult, EventQueue, QueueProbe } from "../ports/event-store.js";

/** SQS batch limits. 256 KiB is the classic total; staying under it works on every queue. */
export const SQS_BATCH_MAX_ENTRIES = 10;
export const SQS_BATCH_MAX_BYTES = 256 * 1024;

export interface SqsEventQueueOptions {
  /** Sends per entry, including the first, for entries SQS fails on its side. */
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Chunks in flight at once. */
  concurrency?: number;
  /** Receives what went wrong (codes and SDK errors): for logs only, never for clients. */
  onError?: (message: string, detail: Record<string, unknown>) => void;
}

/** Client-facing reasons; the detail goes to the log. */
export const ENQUEUE_REASON = {
  unavailable: "the queue could not be reached",
  rejected: "the queue rejected the message",
  exhausted: "the queue did not accept the message after retries",
} as const;

interface Prepared {
  index: number;
  entry: SendMessageBatchRequestEntry;
  bytes: number;
}

export class SqsEventQueue implements EventQueue, QueueProbe {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly concurrency: number;
  private readonly onError: NonNullable<SqsEventQueueOptions["onError"]>;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsEventQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.concurrency = options.concurrency ?? 5;
    this.onError = options.onError ?? (() => {});
  }

  async enqueue(messages: QueuedEvent[]): Promise<EnqueueResult> {
    const result: EnqueueResult = { queued: [], failed: [] };
    const chunks = chunkBySize(messages.map(prepare));
    let next = 0;
    const worker = async () => {
      for (let chunk = chunks[next++]; chunk; chunk = chunks[next++]) {
        await this.sendChunk(chunk, result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
    result.queued.sort((a, b) => a - b);
    result.failed.sort((a, b) => a.index - b.index);
    return result;
  }

  private async sendChunk(chunk: Prepared[], result: EnqueueResult): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let response: SendMessageBatchCommandOutput;
      try {
        response = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map((p) => p.entry),
          }),
        );
      } catch (error) {
        // The SDK has already retried throttling and network errors with its own backoff.
        this.onError("SendMessageBatch failed", { error, entries: pending.length, attempt });
        for (const p of pending) {
          result.failed.push({ index: p.index, reason: ENQUEUE_REASON.unavailable });
        }
        return;
      }
      const byId = new Map(pending.map((p) => [p.entry.Id, p]));
      for (const ok of response.Successful ?? []) {
        const p = byId.get(ok.Id);
        if (p) result.queued.push(p.index);
        byId.delete(ok.Id);
      }
      const retry: Prepared[] = [];
      for (const failed of response.Failed ?? []) {
        const p = byId.get(failed.Id);
        if (!p) continue;
        byId.delete(failed.Id);
        if (failed.SenderFault || attempt >= this.maxAttempts) {
          this.onError("SendMessageBatch entry failed", {
            code: failed.Code,
            senderFault: failed.SenderFault,
            attempt,
            index: p.index,
          });
          const reason = failed.SenderFault ? ENQUEUE_REASON.rejected : ENQUEUE_REASON.exhausted;
          result.failed.push({ index: p.index, reason });
        } else {
          retry.push(p);
        }
      }
      // An entry SQS mentions in neither list did not demonstrably arrive: send it again.
      retry.push(...byId.values());
      if (retry.length > 0 && attempt >= this.maxAttempts) {
        for (const p of retry) {
          result.failed.push({ index: p.index, reason: ENQUEUE_REASON.exhausted });
        }
        return;
      }
      pending = retry;
      if (pending.length > 0) await sleep(backoff(this.baseDelayMs, attempt));
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.depth(signal);
  }

  async depth(signal?: AbortSignal): Promise<number> {
    return queueDepth(this.client, this.queueUrl, signal);
  }
}

/** Depth of any queue (the DLQ too), for /health. */
export class SqsQueueProbe implements QueueProbe {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  depth(signal?: AbortSignal): Promise<number> {
    return queueDepth(this.client, this.queueUrl, signal);
  }
}

async function queueDepth(client: SQSClient, queueUrl: string, signal?: AbortSignal) {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
    signal ? { abortSignal: signal } : {},
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * SQS accepts only #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. JSON.stringify
 * escapes control characters and lone surrogates, but not U+FFFE/U+FFFF; escaping those,
 * and astral characters (as surrogate pairs, same JSON value), keeps every event
 * sendable. The astral escape also sidesteps an emulator (fauxqs) that wrongly rejects
 * them.
 */
export function messageBody(message: QueuedEvent): string {
  return JSON.stringify(message).replace(
    /[\ud800-\udfff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function prepare(message: QueuedEvent, index: number): Prepared {
  const body = messageBody(message);
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: body,
    MessageAttributes: {
      [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: message.correlationId },
    },
  };
  // SQS counts the body plus each attribute's name, type and value.
  const bytes =
    Buffer.byteLength(body) +
    Buffer.byteLength(CORRELATION_ATTRIBUTE) +
    "String".length +
    Buffer.byteLength(message.correlationId);
  return { index, entry, bytes };
}

/** Consecutive entries, at most 10 and SQS_BATCH_MAX_BYTES per chunk. */
export function chunkBySize<T extends { bytes: number }>(items: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (
      current.length > 0 &&
      (current.length === SQS_BATCH_MAX_ENTRIES || size + item.bytes > SQS_BATCH_MAX_BYTES)
    ) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Exponential backoff with full jitter. */
const backoff = (baseMs: number, attempt: number) =>
  Math.random() * baseMs * 2 ** (attempt - 1) + baseMs / 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
