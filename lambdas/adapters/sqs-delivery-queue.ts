/**
 * DeliveryQueue on SQS: unordered deliveries on the standard delivery queue, ordered ones
 * on the FIFO queue with MessageGroupId = (tenant, destination, subject) and
 * MessageDeduplicationId = delivery id + generation (SQS drops a repeat within 5 minutes;
 * the deliver function's claim on the delivery record drops any later one). SendMessageBatch
 * in chunks of 10 entries and 256 KiB; entries SQS fails are retried, then reported.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { CORRELATION_ATTRIBUTE } from "../../lib/contracts/observability.js";
import {
  type DeliveryMessage,
  type DeliveryRequest,
  messageGroupOf,
  toDeliveryMessage,
} from "../domain/delivery.js";
import type { DeliveryEnqueueResult, DeliveryQueue } from "../ports/delivery-queue.js";

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

export interface SqsDeliveryQueueOptions {
  /** The standard delivery queue (unordered destinations). */
  queueUrl: string;
  /** The FIFO delivery queue (destinations with `ordered: true`). */
  fifoQueueUrl: string;
  maxAttempts?: number;
  now?: () => Date;
  /**
   * Whether a destination asked for ordering, for requests that do not say (`ordered`
   * undefined: a rule's route knows only the destination id). Without it they go unordered.
   */
  ordering?: DestinationOrdering;
}

export interface DestinationOrdering {
  isOrdered(tenantId: string, destinationId: string): Promise<boolean>;
}

interface Entry {
  index: number;
  entry: SendMessageBatchRequestEntry;
  bytes: number;
}

export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsDeliveryQueueOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.now = options.now ?? (() => new Date());
  }

  async enqueue(deliveries: readonly DeliveryRequest[]): Promise<DeliveryEnqueueResult[]> {
    const now = this.now();
    const ordering = this.options.ordering;
    const resolved = ordering
      ? await Promise.all(
          deliveries.map(async (d) =>
            d.ordered === undefined
              ? { ...d, ordered: await ordering.isOrdered(d.tenantId, d.destinationId) }
              : d,
          ),
        )
      : deliveries;
    const messages = resolved.map((d) => toDeliveryMessage(d, now));
    const results: DeliveryEnqueueResult[] = messages.map((m) => ({
      id: m.id,
      ok: false,
      reason: "not sent",
    }));
    const standard: Entry[] = [];
    const fifo: Entry[] = [];
    messages.forEach((message, index) => {
      const prepared = prepare(message, index);
      (message.orderingKey !== undefined ? fifo : standard).push(prepared);
    });
    await Promise.all([
      this.sendAll(this.options.queueUrl, standard, results),
      // A FIFO queue keeps a group's order only within and across calls of one sender, in
      // the order sent: the chunks go one after another.
      this.sendAll(this.options.fifoQueueUrl, fifo, results, true),
    ]);
    return results;
  }

  private async sendAll(
    queueUrl: string,
    entries: Entry[],
    results: DeliveryEnqueueResult[],
    sequential = false,
  ): Promise<void> {
    const chunks = chunk(entries);
    if (sequential) {
      for (const c of chunks) await this.sendChunk(queueUrl, c, results);
    } else {
      await Promise.all(chunks.map((c) => this.sendChunk(queueUrl, c, results)));
    }
  }

  private async sendChunk(
    queueUrl: string,
    entries: Entry[],
    results: DeliveryEnqueueResult[],
  ): Promise<void> {
    let pending = entries;
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 2)));
      const failed = new Map<string, { reason: string; final: boolean }>();
      try {
        const out = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((e) => e.entry) }),
        );
        for (const f of out.Failed ?? []) {
          // A sender fault (a malformed entry) does not get better with retries.
          failed.set(f.Id ?? "", {
            reason: `${f.Code ?? "error"}: ${f.Message ?? ""}`,
            final: f.SenderFault === true,
          });
        }
      } catch (error) {
        const reason = error instanceof Error ? error.name : "unreachable";
        for (const p of pending) failed.set(p.entry.Id ?? "", { reason, final: false });
      }
      const next: Entry[] = [];
      for (const e of pending) {
        const id = results[e.index]?.id ?? "";
        const failure = failed.get(e.entry.Id ?? "");
        if (!failure) {
          results[e.index] = { id, ok: true };
          continue;
        }
        results[e.index] = { id, ok: false, reason: failure.reason };
        if (!failure.final) next.push(e);
      }
      pending = next;
    }
  }
}

function prepare(message: DeliveryMessage, index: number): Entry {
  const body = JSON.stringify(message);
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: body,
    ...(message.correlationId
      ? {
          MessageAttributes: {
            [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: message.correlationId },
          },
        }
      : {}),
    ...(message.orderingKey !== undefined
      ? {
          MessageGroupId: messageGroupOf(message),
          MessageDeduplicationId: `${message.id}.${message.generation}`,
        }
      : {}),
  };
  return { index, entry, bytes: Buffer.byteLength(body) + 512 };
}

function chunk(entries: Entry[]): Entry[][] {
  const chunks: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (
      current.length === MAX_ENTRIES ||
      (current.length > 0 && bytes + e.bytes > MAX_BATCH_BYTES)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
