/** The history jobs' queue: one message per slice to run (lambdas/use-cases/history-jobs.ts). */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { JobMessage } from "../domain/history-jobs.js";
import type { JobQueue } from "../ports/history-jobs.js";

export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: JobMessage, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
      }),
    );
  }
}
