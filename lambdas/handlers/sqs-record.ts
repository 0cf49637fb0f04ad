/** The SQS edge of the queue-triggered functions: Lambda's SQS record -> a QueueMessage, and the handler around a batch. */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { CORRELATION_ATTRIBUTE } from "../../lib/contracts/observability.js";
import { logger, metrics } from "../shared/powertools.js";
import type { QueueMessage } from "../use-cases/process-batch.js";

export function toQueueMessage(record: SQSRecord): QueueMessage {
  const count = Number.parseInt(record.attributes?.ApproximateReceiveCount ?? "", 10);
  const correlationId = record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue;
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
    ...(correlationId ? { correlationId } : {}),
  };
}

/** What an SQS-triggered function does with one invocation's records. */
export interface RecordBatch {
  handle(record: SQSRecord): Promise<unknown>;
  /** After every record was handled (not when the whole batch failed). */
  finish?(): Promise<void>;
}

/**
 * An SQS-triggered function (process, dlq, jobs): Powertools' partial batch response with a
 * processor and a batch per invocation (a processor holds the batch's state, and the local
 * runtime may run several invocations of one handler at once), the Lambda context in every
 * log line, the metrics flushed at the end.
 */
export function sqsBatchHandler(newBatch: () => RecordBatch) {
  async function lambdaHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const processor = new BatchProcessor(EventType.SQS);
    const batch = newBatch();
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => batch.handle(record),
      processor,
      { context },
    );
    await batch.finish?.();
    return response;
  }
  return middy(lambdaHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
