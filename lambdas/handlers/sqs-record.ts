/** Lambda's SQS record -> the use cases' QueueMessage (the process and dlq handlers' edge). */
import type { SQSRecord } from "aws-lambda";
import { CORRELATION_ATTRIBUTE } from "../../lib/contracts/observability.js";
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
