/**
 * The deliver function's other SQS ports: the delivery DLQ (final failures, with their
 * reason as a message attribute), visibility changes on whichever delivery queue a record
 * came from, and the platform's own events (`eventflow.destination.disabled`) sent to the
 * events queue like any ingested event, so the tenant's rules can route them.
 */
import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { CORRELATION_ATTRIBUTE } from "../../lib/contracts/observability.js";
import type { DeliveryMessage } from "../domain/delivery.js";
import type { QueuedEvent } from "../domain/event.js";
import type {
  DeliveryDeadLetters,
  DeliveryRetries,
  PlatformEvents,
} from "../ports/delivery-senders.js";
import type { EventQueue } from "../ports/event-store.js";
import { MAX_VISIBILITY_SECONDS } from "../ports/retry-scheduler.js";

export const FAILURE_ATTRIBUTE = "failureReason";

export class SqsDeliveryDeadLetters implements DeliveryDeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async send(message: DeliveryMessage, reason: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: {
          [FAILURE_ATTRIBUTE]: { DataType: "String", StringValue: reason.slice(0, 1024) },
          ...(message.correlationId
            ? {
                [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: message.correlationId },
              }
            : {}),
        },
      }),
    );
  }
}

/** The queue's name is the last part of both its ARN and its URL. */
const nameOf = (arnOrUrl: string) => arnOrUrl.split(/[:/]/).pop() ?? "";

export class SqsDeliveryRetries implements DeliveryRetries {
  private readonly urls: Map<string, string>;

  constructor(
    private readonly sqs: SQSClient,
    queueUrls: readonly string[],
  ) {
    this.urls = new Map(queueUrls.map((url) => [nameOf(url), url]));
  }

  async retryAfter(queueArn: string, receiptHandle: string, seconds: number): Promise<void> {
    const url = this.urls.get(nameOf(queueArn));
    if (!url) throw new Error(`no delivery queue named like ${queueArn}`);
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(Math.round(seconds), MAX_VISIBILITY_SECONDS)),
      }),
    );
  }
}

export class QueuedPlatformEvents implements PlatformEvents {
  constructor(
    private readonly queue: Pick<EventQueue, "enqueue">,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async emit(
    tenantId: string,
    event: { id: string; type: string; subject?: string; data: Record<string, unknown> },
  ): Promise<void> {
    const at = this.now().toISOString();
    const message: QueuedEvent = {
      v: 1,
      tenantId,
      receivedAt: at,
      correlationId: event.id,
      event: { ...event, source: "eventflow", time: at },
    };
    const result = await this.queue.enqueue([message]);
    if (result.failed.length > 0)
      throw new Error(`could not emit ${event.type}: ${result.failed[0]?.reason}`);
  }
}
