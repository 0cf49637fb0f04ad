/**
 * Inputs for the benchmarks: the load generator's 1 KiB events (same mix and padding as
 * `npm run load`), API Gateway requests, SQS records shaped like Lambda's, and a sink
 * that counts what the handlers print.
 */
import type { Message } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent, Context, SQSRecord } from "aws-lambda";
import { messageBody } from "../../lambdas/adapters/sqs-event-queue.js";
import type { QueuedEvent } from "../../lambdas/domain/event.js";
import { ingestEvent, lambdaContext } from "../../test/support/apigw.js";
import { EventFactory, type GeneratedEvent, seededRandom } from "../core/events.js";
import { DEFAULT_MIX, parseMix } from "../core/mix.js";

export const EVENT_SIZE_BYTES = 1024;
const TENANT = "bench";

export function eventSource(runId: string, seed = 1): { next(): GeneratedEvent["event"] } {
  const factory = new EventFactory({
    runId,
    mix: parseMix(DEFAULT_MIX),
    sizeBytes: EVENT_SIZE_BYTES,
    invalidShare: 0,
    random: seededRandom(seed),
  });
  let n = 0;
  return { next: () => factory.create(++n, Date.now()).event };
}

/** POST /v1/events: the single-event form for one event, else `{"events": [...]}`. */
export function ingestRequest(events: readonly GeneratedEvent["event"][]): APIGatewayProxyEvent {
  const body = events.length === 1 ? events[0] : { events };
  return ingestEvent(body, { tenantId: TENANT });
}

export const contextFor = (name: string, memoryMb: number): Context =>
  lambdaContext({
    functionName: `eventflow-${name}`,
    memoryLimitInMB: String(memoryMb),
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:eventflow-${name}`,
  });

let recordSeq = 0;

/** The record Lambda would deliver for what the ingest function enqueues. */
export function queuedRecord(event: GeneratedEvent["event"], queueArn: string): SQSRecord {
  const correlationId = `bench-${++recordSeq}`;
  const message: QueuedEvent = {
    v: 1,
    tenantId: TENANT,
    receivedAt: new Date().toISOString(),
    correlationId,
    event,
  };
  const now = String(Date.now());
  return {
    messageId: `m-${recordSeq}`,
    receiptHandle: `rh-${recordSeq}`,
    body: messageBody(message),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: now,
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {
      correlationId: {
        stringValue: correlationId,
        dataType: "String",
        stringListValues: [],
        binaryListValues: [],
      },
    },
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: "us-east-1",
  };
}

/** A received message as Lambda's event source mapping hands it to the function. */
export function recordOf(message: Message, queueArn: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [name, a] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: a.DataType ?? "String",
      ...(a.StringValue === undefined ? {} : { stringValue: a.StringValue }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? "",
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: "us-east-1",
  };
}

type Write = typeof process.stdout.write;

/**
 * Swallows and counts what is written to stdout and stderr while installed: the
 * handlers' log lines and EMF metrics, which Lambda would ship to CloudWatch Logs.
 * Serializing them still costs the handlers their CPU, as it does in Lambda.
 */
export class OutputSink {
  bytes = 0;
  private saved: { out: Write; err: Write } | undefined;

  install(): void {
    if (this.saved) return;
    this.saved = { out: process.stdout.write, err: process.stderr.write };
    const count = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      if (callback) queueMicrotask(callback);
      return true;
    }) as Write;
    process.stdout.write = count;
    process.stderr.write = count;
  }

  restore(): void {
    if (!this.saved) return;
    process.stdout.write = this.saved.out;
    process.stderr.write = this.saved.err;
    this.saved = undefined;
  }

  /** Bytes since the last take(). */
  take(): number {
    const taken = this.bytes;
    this.bytes = 0;
    return taken;
  }
}
