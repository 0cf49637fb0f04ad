/**
 * RetryScheduler on SQS: ChangeMessageVisibility on the receipt handle Lambda received,
 * so a failed message comes back after the backoff instead of the queue's (long)
 * visibility timeout.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { MAX_VISIBILITY_SECONDS, type RetryScheduler } from "../ports/retry-scheduler.js";

export class SqsVisibilityRetryScheduler implements RetryScheduler {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async retryAfter(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(Math.round(delaySeconds), MAX_VISIBILITY_SECONDS)),
      }),
    );
  }
}
