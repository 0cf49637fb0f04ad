/**
 * The transports of the six destination kinds. Each answers an AttemptResult and never
 * throws for the destination's fault:
 * - webhook: POST, signed per Standard Webhooks (the official `standardwebhooks` library)
 *   with the current secret, and the previous one too while a rotation overlaps;
 * - slack: POST {"text": template} to the incoming webhook URL (same HTTP client, same guard);
 * - email: SES v2 SendEmail (locally a client that writes to the outbox);
 * - sqs, sns, eventbridge: SendMessage, Publish, PutEvents (FIFO queues and topics get the
 *   subject as MessageGroupId and the delivery id as MessageDeduplicationId).
 * The email, sns and eventbridge transports (email-sender.ts, sns-sender.ts,
 * eventbridge-sender.ts) and their SDK clients are loaded on the first delivery of their
 * kind (issue 20, cold start).
 * AWS errors: throttling, 5xx and network errors are retried; any other 4xx is final.
 */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { deliveryBody } from "../domain/delivery.js";
import {
  type AttemptResult,
  DEFAULT_SLACK_TEMPLATE,
  firstBytes,
  outcomeOfStatus,
  parseRetryAfter,
  renderTemplate,
} from "../domain/delivery-attempt.js";
import type { Destination } from "../domain/destination.js";
import type { DeliverySender, DeliverySenders } from "../ports/delivery-senders.js";
import { awsFailure, deliveryAttributes, groupOf, isFifoName, timed } from "./aws-attempt.js";
import {
  loadEmailSender,
  loadEventBridgeSender,
  loadSnsSender,
} from "./delivery-sender-loaders.js";
import { DeliveryNetworkError, type HttpDeliveryClient } from "./http-delivery-client.js";

export const USER_AGENT = "EventFlow-Webhooks/1.0";

export interface SenderClients {
  http: HttpDeliveryClient;
  sqs: Pick<SQSClient, "send">;
  /**
   * The sns, eventbridge and email kinds' clients. Absent (the Lambda entry): each kind's
   * module builds the SDK's standard client when it is loaded, on the first delivery of
   * that kind. The local runtime and the tests give theirs.
   */
  sns?: Pick<SNSClient, "send">;
  eventBridge?: Pick<EventBridgeClient, "send">;
  ses?: Pick<SESv2Client, "send">;
  /** The SES identity to send from (deliveryEmailFrom). */
  emailFrom: string;
}

/** The signature header: one `v1,<base64>` per valid secret, space-separated. */
export function webhookSignatures(
  destination: Destination,
  id: string,
  at: Date,
  body: string,
): string {
  const secrets = destination.secrets;
  if (!secrets?.current) throw new Error(`webhook destination ${destination.id} has no secret`);
  const signatures = [new Webhook(secrets.current).sign(id, at, body)];
  if (secrets.previous && Date.parse(secrets.previous.expiresAt) > at.getTime()) {
    signatures.push(new Webhook(secrets.previous.secret).sign(id, at, body));
  }
  return signatures.join(" ");
}

async function httpAttempt(
  http: HttpDeliveryClient,
  url: string,
  headers: Record<string, string>,
  body: string,
  now: Date,
): Promise<AttemptResult> {
  return timed(async () => {
    try {
      const answer = await http.post(url, headers, body);
      const outcome = outcomeOfStatus(answer.status);
      const retryAfter =
        answer.status === 429 || answer.status === 503
          ? parseRetryAfter(headerText(answer.headers["retry-after"]), now)
          : undefined;
      return {
        outcome,
        status: answer.status,
        ...(answer.body ? { response: answer.body } : {}),
        ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      };
    } catch (error) {
      const e =
        error instanceof DeliveryNetworkError
          ? error
          : new DeliveryNetworkError(String(error), "connection");
      // An address the guard refuses stays refused: retrying cannot help.
      return {
        outcome: e.kind === "refused" ? "final" : "retryable",
        error: firstBytes(e.message),
      };
    }
  });
}

const headerText = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value[0] : value;

/**
 * A sender whose module is loaded on its first use (delivery-sender-loaders.ts); the load is
 * not part of the attempt's latency. A module that cannot load throws (the platform's
 * fault, not the destination's): the record comes back and is retried.
 */
function loadedOnFirstUse(load: () => Promise<DeliverySender>): DeliverySender {
  let sender: Promise<DeliverySender> | undefined;
  return {
    send: async (destination, message, now) => {
      sender ??= load().catch((error: unknown) => {
        sender = undefined;
        throw error;
      });
      return (await sender).send(destination, message, now);
    },
  };
}

export function createDeliverySenders(c: SenderClients): DeliverySenders {
  const webhook: DeliverySender = {
    send: async (destination, message, now) => {
      if (destination.target.kind !== "webhook") throw new Error("not a webhook");
      const body = JSON.stringify(deliveryBody(message));
      let signature: string;
      try {
        signature = webhookSignatures(destination, message.id, now, body);
      } catch (error) {
        return { outcome: "final", latencyMs: 0, error: String(error) };
      }
      return httpAttempt(
        c.http,
        destination.target.url,
        {
          ...destination.target.headers,
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          "webhook-id": message.id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signature,
        },
        body,
        now,
      );
    },
  };
  const slack: DeliverySender = {
    send: async (destination, message, now) => {
      if (destination.target.kind !== "slack") throw new Error("not a slack destination");
      const text = renderTemplate(
        destination.target.template ?? DEFAULT_SLACK_TEMPLATE,
        message.event,
      );
      return httpAttempt(
        c.http,
        destination.target.url,
        { "content-type": "application/json", "user-agent": USER_AGENT },
        JSON.stringify({ text }),
        now,
      );
    },
  };
  const email = loadedOnFirstUse(async () =>
    (await loadEmailSender()).createEmailSender(c.emailFrom, c.ses),
  );
  const sqs: DeliverySender = {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "sqs") throw new Error("not an sqs destination");
        const url = destination.target.queueUrl;
        try {
          await c.sqs.send(
            new SendMessageCommand({
              QueueUrl: url,
              MessageBody: JSON.stringify(deliveryBody(message)),
              MessageAttributes: deliveryAttributes(message),
              ...(isFifoName(url)
                ? { MessageGroupId: groupOf(message), MessageDeduplicationId: message.id }
                : {}),
            }),
          );
          return { outcome: "delivered" };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
  const sns = loadedOnFirstUse(async () => (await loadSnsSender()).createSnsSender(c.sns));
  const eventbridge = loadedOnFirstUse(async () =>
    (await loadEventBridgeSender()).createEventBridgeSender(c.eventBridge),
  );
  return { webhook, slack, email, sqs, sns, eventbridge };
}
