/**
 * The transports of the six destination kinds. Each answers an AttemptResult and never
 * throws for the destination's fault:
 * - webhook: POST, signed per Standard Webhooks (the official `standardwebhooks` library)
 *   with the current secret, and the previous one too while a rotation overlaps;
 * - slack: POST {"text": template} to the incoming webhook URL (same HTTP client, same guard);
 * - email: SES v2 SendEmail (locally a client that writes to the outbox);
 * - sqs, sns, eventbridge: SendMessage, Publish, PutEvents (FIFO queues and topics get the
 *   subject as MessageGroupId and the delivery id as MessageDeduplicationId).
 * AWS errors: throttling, 5xx and network errors are retried; any other 4xx is final.
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { type DeliveryMessage, deliveryBody } from "../domain/delivery.js";
import {
  type AttemptResult,
  DEFAULT_EMAIL_SUBJECT,
  DEFAULT_EMAIL_TEMPLATE,
  DEFAULT_SLACK_TEMPLATE,
  firstBytes,
  outcomeOfStatus,
  parseRetryAfter,
  renderTemplate,
} from "../domain/delivery-attempt.js";
import type { Destination } from "../domain/destination.js";
import type { DeliverySender, DeliverySenders } from "../ports/delivery-senders.js";
import { DeliveryNetworkError, type HttpDeliveryClient } from "./http-delivery-client.js";

export const USER_AGENT = "EventFlow-Webhooks/1.0";

export interface SenderClients {
  http: HttpDeliveryClient;
  sqs: Pick<SQSClient, "send">;
  sns: Pick<SNSClient, "send">;
  eventBridge: Pick<EventBridgeClient, "send">;
  ses: Pick<SESv2Client, "send">;
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

async function timed(
  call: () => Promise<Omit<AttemptResult, "latencyMs">>,
): Promise<AttemptResult> {
  const started = performance.now();
  const result = await call();
  return { ...result, latencyMs: Math.round(performance.now() - started) };
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

/** An AWS SDK error as an attempt: throttling, 5xx and network errors retried. */
function awsFailure(error: unknown): Omit<AttemptResult, "latencyMs"> {
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e.$metadata?.httpStatusCode;
  const throttled = /throttl|toomany|limitexceeded/i.test(e.name ?? "");
  const retryable =
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    throttled ||
    e.$retryable !== undefined;
  return {
    outcome: retryable ? "retryable" : "final",
    ...(status !== undefined ? { status } : {}),
    error: firstBytes(`${e.name ?? "Error"}: ${e.message ?? String(error)}`),
  };
}

const isFifoName = (name: string) => name.endsWith(".fifo");
const groupOf = (m: DeliveryMessage) => (m.event.subject ?? m.event.id).slice(0, 128);

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
  const email: DeliverySender = {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "email") throw new Error("not an email destination");
        if (!c.emailFrom)
          return { outcome: "final", error: "no sender address: set deliveryEmailFrom" };
        const event = message.event;
        try {
          await c.ses.send(
            new SendEmailCommand({
              FromEmailAddress: c.emailFrom,
              Destination: { ToAddresses: destination.target.to },
              Content: {
                Simple: {
                  Subject: {
                    Data: renderTemplate(
                      destination.target.subject ?? DEFAULT_EMAIL_SUBJECT,
                      event,
                    ).slice(0, 998),
                    Charset: "UTF-8",
                  },
                  Body: {
                    Text: {
                      Data: renderTemplate(
                        destination.target.template ?? DEFAULT_EMAIL_TEMPLATE,
                        event,
                      ),
                      Charset: "UTF-8",
                    },
                  },
                },
              },
              EmailTags: [
                { Name: "eventflow-delivery", Value: message.id.replace(/[^A-Za-z0-9_-]/g, "_") },
              ],
            }),
          );
          return { outcome: "delivered" };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
  const attributes = (m: DeliveryMessage) => ({
    "eventflow-delivery-id": { DataType: "String", StringValue: m.id },
    "eventflow-event-type": { DataType: "String", StringValue: m.event.type },
  });
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
              MessageAttributes: attributes(message),
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
  const sns: DeliverySender = {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "sns") throw new Error("not an sns destination");
        const arn = destination.target.topicArn;
        try {
          await c.sns.send(
            new PublishCommand({
              TopicArn: arn,
              Message: JSON.stringify(deliveryBody(message)),
              MessageAttributes: attributes(message),
              ...(isFifoName(arn)
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
  const eventbridge: DeliverySender = {
    send: (destination, message) =>
      timed(async () => {
        if (destination.target.kind !== "eventbridge")
          throw new Error("not an eventbridge destination");
        try {
          const out = await c.eventBridge.send(
            new PutEventsCommand({
              Entries: [
                {
                  EventBusName: destination.target.eventBusArn,
                  Source: destination.target.source ?? `eventflow.${message.tenantId}`,
                  DetailType: message.event.type,
                  Detail: JSON.stringify(deliveryBody(message)),
                  ...(message.event.time ? { Time: new Date(message.event.time) } : {}),
                },
              ],
            }),
          );
          const entry = out.Entries?.[0];
          if ((out.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
            const code = entry?.ErrorCode ?? "Failed";
            return {
              outcome: /Throttl|InternalFailure|ServiceUnavailable/i.test(code)
                ? "retryable"
                : "final",
              error: firstBytes(`${code}: ${entry?.ErrorMessage ?? ""}`),
            };
          }
          return {
            outcome: "delivered",
            ...(entry?.EventId ? { response: `EventId ${entry.EventId}` } : {}),
          };
        } catch (error) {
          return awsFailure(error);
        }
      }),
  };
  return { webhook, slack, email, sqs, sns, eventbridge };
}
