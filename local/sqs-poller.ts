/**
 * An SQS event source mapping, as Lambda runs one: long polling, batches up to a
 * batch size or a batching window, at most MaximumConcurrency batches in flight,
 * and the partial batch response contract (GUIDE §2):
 *
 *   batchItemFailures lists some ids   -> delete the others; the listed ones stay
 *                                         and come back after the visibility timeout
 *   empty list, null, nothing          -> delete the whole batch
 *   throws, times out, or an unknown   -> delete nothing; the whole batch comes back
 *   or invalid itemIdentifier
 *
 * Visibility timeouts and redrive to the DLQ are the queue's business, as in AWS:
 * the poller never changes a message's visibility and never moves one.
 *
 * Against the embedded SQS the receives and deletes go to the emulator's queue model
 * directly (`direct`, local/emulators.ts DirectSqs): on AWS this polling is Lambda's
 * service, not our code, and over HTTP it cost a signed SDK request per receive and per
 * delete. Against an external SQS (LocalStack, AWS) it uses the SDK client.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import type { DirectSqs } from "./emulators.js";
import { type InvokeOutcome, LAMBDA_PAYLOAD_LIMIT_BYTES } from "./lambda.js";
import { type RuntimeLogger, silentLogger } from "./log.js";

export interface SqsPollerOptions {
  /** Name in logs (the function it feeds). */
  name: string;
  sqs: SQSClient;
  /** The embedded SQS without HTTP: receives and deletes go there instead of `sqs`. */
  direct?: DirectSqs;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
  /** Runs the function on one batch (timeout included): see invokeFunction. */
  invoke: (event: SQSEvent) => Promise<InvokeOutcome>;
  /** Long-poll wait of each receive (Lambda uses 20 s). */
  waitTimeSeconds?: number;
  /**
   * The mapping's FunctionResponseTypes includes ReportBatchItemFailures (the stack
   * sets it). Without it Lambda ignores the answer and deletes the batch on success.
   */
  reportBatchItemFailures?: boolean;
  /** For a DLQ: the source queue, which AWS reports as DeadLetterQueueSourceArn. */
  deadLetterSourceArn?: string;
  logger?: RuntimeLogger;
  /** Called after each batch with what was decided (tests, metrics). */
  onBatch?: (report: BatchReport) => void;
}

export type BatchVerdict = "success" | "partial" | "error" | "timeout" | "invalid-response";

export interface BatchReport {
  size: number;
  verdict: BatchVerdict;
  deleted: number;
  retained: number;
  durationMs: number;
  detail?: string;
}

/** What Lambda decides from an invocation outcome: which receipt handles to delete. */
export interface BatchDecision {
  verdict: BatchVerdict;
  /** Message ids to delete. */
  delete: string[];
  detail?: string;
}

/**
 * The partial batch response rules. `outcome` is the invocation's result after
 * the JSON round trip; `messageIds` are the batch's ids.
 */
export function decideBatch(outcome: InvokeOutcome, messageIds: readonly string[]): BatchDecision {
  if (outcome.kind === "timeout") return { verdict: "timeout", delete: [] };
  if (outcome.kind === "error") {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return { verdict: "error", delete: [], detail: message };
  }
  const result = outcome.result;
  if (result === null || result === undefined)
    return { verdict: "success", delete: [...messageIds] };
  if (typeof result !== "object" || Array.isArray(result)) {
    return { verdict: "invalid-response", delete: [], detail: "response is not an object" };
  }
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) {
    return { verdict: "success", delete: [...messageIds] };
  }
  if (!Array.isArray(failures)) {
    return { verdict: "invalid-response", delete: [], detail: "batchItemFailures is not a list" };
  }
  if (failures.length === 0) return { verdict: "success", delete: [...messageIds] };
  const known = new Set(messageIds);
  const failed = new Set<string>();
  for (const entry of failures) {
    const id =
      entry !== null && typeof entry === "object"
        ? (entry as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== "string" || id === "" || !known.has(id)) {
      return {
        verdict: "invalid-response",
        delete: [],
        detail: `invalid itemIdentifier ${JSON.stringify(id ?? entry)}`,
      };
    }
    failed.add(id);
  }
  return { verdict: "partial", delete: messageIds.filter((id) => !failed.has(id)) };
}

/** Lambda's SQS record, from a received message. */
export function toRecord(
  message: Message,
  queueArn: string,
  region: string,
  deadLetterSourceArn?: string,
): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecord["attributes"] = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? "000000000000",
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const key of [
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
  ] as const) {
    const value = a[key];
    if (value !== undefined) attributes[key] = value;
  }
  if (deadLetterSourceArn && !attributes.DeadLetterQueueSourceArn) {
    attributes.DeadLetterQueueSourceArn = deadLetterSourceArn;
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }
        : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) =>
        Buffer.from(b).toString("base64"),
      ),
      dataType: value.DataType ?? "String",
    };
  }
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes
      ? { md5OfMessageAttributes: message.MD5OfMessageAttributes }
      : {}),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Rough size of a record once serialized into the invocation payload. */
function recordBytes(message: Message): number {
  let size = 600 + Buffer.byteLength(message.Body ?? "") + (message.ReceiptHandle?.length ?? 0);
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    size += name.length + 80 + Buffer.byteLength(value.StringValue ?? "");
    if (value.BinaryValue) size += Math.ceil((value.BinaryValue.length * 4) / 3);
  }
  return size;
}

const isAbort = (error: unknown) =>
  error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");

export class SqsPoller {
  private readonly options: Required<
    Omit<SqsPollerOptions, "deadLetterSourceArn" | "onBatch" | "direct">
  > &
    Pick<SqsPollerOptions, "deadLetterSourceArn" | "onBatch" | "direct">;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private inFlight = 0;
  private receiving = 0;
  private running = false;
  /** Received messages waiting for the next batch (when a batch hit the payload limit). */
  private readonly carry: Message[][] = [];
  private totals = { batches: 0, records: 0, deleted: 0, retained: 0, failedBatches: 0 };

  constructor(options: SqsPollerOptions) {
    if (options.batchSize < 1) throw new Error("batchSize must be at least 1");
    if (options.maxConcurrency < 1) throw new Error("maxConcurrency must be at least 1");
    this.options = {
      waitTimeSeconds: 20,
      reportBatchItemFailures: true,
      logger: silentLogger,
      ...options,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.maxConcurrency; i++) {
      this.carry.push([]);
      this.workers.push(this.work(i));
    }
  }

  /** No batch in flight and none being assembled from received messages. */
  get idle(): boolean {
    return this.inFlight === 0 && this.carry.every((c) => c.length === 0);
  }

  get stats() {
    return { ...this.totals, inFlight: this.inFlight, receiving: this.receiving };
  }

  /**
   * Stops receiving (an open long poll is abandoned at once) and waits for the
   * batches in flight, which the function timeout bounds.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(slot: number): Promise<void> {
    const log = this.options.logger;
    while (this.running) {
      let batch: Message[];
      try {
        batch = await this.collect(slot);
      } catch (error) {
        if (!this.running && isAbort(error)) break;
        log.warn(`${this.options.name}: receive failed; retrying in 1 s`, {
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        await sleep(1000, undefined, { signal: this.abort.signal }).catch(() => {});
        continue;
      }
      if (batch.length === 0) continue;
      this.inFlight++;
      try {
        await this.process(batch);
      } catch (error) {
        log.error(`${this.options.name}: batch handling failed`, {
          error: error instanceof Error ? error.message : String(error),
        });
      } finally {
        this.inFlight--;
      }
    }
  }

  /** Receives until the batch size, the batching window, or the payload limit. */
  private async collect(slot: number): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.options;
    const carried = this.carry[slot] ?? [];
    const batch: Message[] = carried.splice(0, carried.length);
    let bytes = batch.reduce((sum, m) => sum + recordBytes(m), 0);
    let windowEnds: number | undefined =
      batch.length > 0 ? Date.now() + maxBatchingWindowSeconds * 1000 : undefined;
    while (this.running && batch.length < batchSize) {
      let wait: number;
      if (windowEnds === undefined) {
        wait = this.options.waitTimeSeconds;
      } else {
        if (maxBatchingWindowSeconds === 0) break;
        const remainingMs = windowEnds - Date.now();
        if (remainingMs <= 0) break;
        // Long-poll in whole seconds inside the window; short-poll its last fraction.
        wait = Math.min(this.options.waitTimeSeconds, Math.floor(remainingMs / 1000));
      }
      let received: Message[];
      try {
        received = await this.receive(Math.min(10, batchSize - batch.length), wait);
      } catch (error) {
        // Stopping: what was already received still gets its invocation.
        if (batch.length > 0 && !this.running && isAbort(error)) break;
        throw error;
      }
      if (received.length === 0) {
        if (windowEnds !== undefined && wait === 0) await sleep(50);
        continue;
      }
      windowEnds ??= Date.now() + maxBatchingWindowSeconds * 1000;
      for (const message of received) {
        const size = recordBytes(message);
        if (batch.length > 0 && bytes + size > LAMBDA_PAYLOAD_LIMIT_BYTES) {
          this.carry[slot]?.push(message);
        } else {
          batch.push(message);
          bytes += size;
        }
      }
      if ((this.carry[slot]?.length ?? 0) > 0) break;
    }
    return batch;
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    this.receiving++;
    try {
      const input = {
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ["All" as const],
        MessageAttributeNames: ["All"],
      };
      if (this.options.direct) return await this.options.direct.receive(input, this.abort.signal);
      const out = await this.options.sqs.send(new ReceiveMessageCommand(input), {
        abortSignal: this.abort.signal,
      });
      return out.Messages ?? [];
    } finally {
      this.receiving--;
    }
  }

  private async process(batch: Message[]): Promise<void> {
    const { name, queueArn, region, deadLetterSourceArn, logger: log } = this.options;
    const records = batch.map((m) => toRecord(m, queueArn, region, deadLetterSourceArn));
    const outcome = await this.options.invoke({ Records: records });
    const ids = records.map((r) => r.messageId);
    const decision =
      this.options.reportBatchItemFailures || outcome.kind !== "ok"
        ? decideBatch(outcome, ids)
        : { verdict: "success" as const, delete: ids };
    const toDelete = new Set(decision.delete);
    const deleted = await this.deleteMessages(records.filter((r) => toDelete.has(r.messageId)));
    const report: BatchReport = {
      size: records.length,
      verdict: decision.verdict,
      deleted,
      retained: records.length - toDelete.size,
      durationMs: outcome.durationMs,
      ...(decision.detail ? { detail: decision.detail } : {}),
    };
    this.totals.batches++;
    this.totals.records += report.size;
    this.totals.deleted += report.deleted;
    this.totals.retained += report.retained;
    const failedWhole = decision.delete.length === 0 && records.length > 0;
    if (failedWhole && decision.verdict !== "success") this.totals.failedBatches++;
    const fields = {
      requestId: outcome.requestId,
      records: report.size,
      deleted: report.deleted,
      retained: report.retained,
      durationMs: report.durationMs,
      ...(report.detail ? { detail: report.detail } : {}),
    };
    if (decision.verdict === "success" || decision.verdict === "partial") {
      log.debug(`${name}: batch ${decision.verdict}`, fields);
    } else {
      log.warn(
        `${name}: batch ${decision.verdict === "timeout" ? "timed out" : decision.verdict}; the whole batch returns after the visibility timeout`,
        fields,
      );
    }
    this.options.onBatch?.(report);
  }

  /** Deletes in groups of ten; a handle that expired meanwhile just comes back, as in AWS. */
  private async deleteMessages(records: SQSRecord[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        const input = {
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
        };
        const out = this.options.direct
          ? await this.options.direct.deleteBatch(input)
          : await this.options.sqs.send(new DeleteMessageBatchCommand(input));
        deleted += out.Successful?.length ?? 0;
        if (out.Failed?.length) {
          this.options.logger.warn(`${this.options.name}: some deletes failed`, {
            failed: out.Failed.map((f) => f.Message ?? f.Code),
          });
        }
      } catch (error) {
        this.options.logger.warn(`${this.options.name}: delete failed; messages will return`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return deleted;
  }
}
