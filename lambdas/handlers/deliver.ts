/**
 * The deliver function: consumes the delivery queues (standard and FIFO) with partial
 * batch responses; see use-cases/deliver-batch.ts. Not Powertools' BatchProcessor: records
 * of one FIFO group must stop at the first that waits and the rest wait as long (their
 * visibility set to the same delay), which its FIFO processor does not do.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import * as z from "zod";
import { parseRetrySchedule } from "../../lib/contracts/delivery.js";
import { ENV } from "../../lib/contracts/environment.js";
import { createDeliverySenders } from "../adapters/delivery-senders.js";
import { DynamoDbDeliveryLog } from "../adapters/dynamodb-delivery-log.js";
import { DynamoDbDestinationStore } from "../adapters/dynamodb-destination-store.js";
import { HttpDeliveryClient } from "../adapters/http-delivery-client.js";
import {
  QueuedPlatformEvents,
  SqsDeliveryDeadLetters,
  SqsDeliveryRetries,
} from "../adapters/sqs-delivery-support.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { DeliverBatch, type DeliverDeps, DeliverState } from "../use-cases/deliver-batch.js";

export interface DeliverClients {
  documentClient: DynamoDBDocumentClient;
  sqs: SQSClient;
  secrets: SecretReader;
  /**
   * Absent (the Lambda entry): built by each destination kind's module on its first
   * delivery (adapters/delivery-sender-loaders.ts); the local runtime gives its own.
   */
  sns?: Pick<SNSClient, "send">;
  eventBridge?: Pick<EventBridgeClient, "send">;
  ses?: Pick<SESv2Client, "send">;
}

const flag = z.enum(["true", "false"]).transform((v) => v === "true");
const count = z.coerce.number().int().min(0);

/** How long a destination read is reused by one instance. */
export const DESTINATION_CACHE_MS = 2_000;

export function deliverDeps(env: EnvRecord, clients: DeliverClients): DeliverDeps {
  const c = parseEnv(
    {
      [ENV.queueUrl]: envVars[ENV.queueUrl],
      [ENV.deliveryQueueUrl]: z.url(),
      [ENV.deliveryFifoQueueUrl]: z.url(),
      [ENV.deliveryDlqUrl]: z.url(),
      [ENV.configTableName]: z.string().min(1),
      [ENV.deliveriesTableName]: z.string().min(1),
      [ENV.destinationSecretId]: z.string().min(1),
      [ENV.deliveryRetrySchedule]: z.string().transform((v) => parseRetrySchedule(v)),
      [ENV.deliveryConnectTimeoutMs]: count,
      [ENV.deliveryResponseTimeoutMs]: count,
      [ENV.deliveryDisableAfterSeconds]: count,
      [ENV.deliveryRetentionDays]: count.min(1),
      [ENV.deliveryAllowLoopback]: flag,
      [ENV.destinationMaxConcurrency]: count.min(1),
      [ENV.deliveryEmailFrom]: z.string().optional().default(""),
    },
    env,
  );
  const secretId = c[ENV.destinationSecretId];
  const responseTimeoutMs = c[ENV.deliveryResponseTimeoutMs];
  return {
    destinations: new DynamoDbDestinationStore(clients.documentClient, {
      tableName: c[ENV.configTableName],
      masterKey: () => clients.secrets.get(secretId),
    }),
    log: new DynamoDbDeliveryLog(clients.documentClient, {
      tableName: c[ENV.deliveriesTableName],
      retentionDays: c[ENV.deliveryRetentionDays],
    }),
    senders: createDeliverySenders({
      http: new HttpDeliveryClient({
        policy: { allowLoopback: c[ENV.deliveryAllowLoopback] },
        connectTimeoutMs: c[ENV.deliveryConnectTimeoutMs],
        responseTimeoutMs,
      }),
      sqs: clients.sqs,
      sns: clients.sns,
      eventBridge: clients.eventBridge,
      ses: clients.ses,
      emailFrom: c[ENV.deliveryEmailFrom],
    }),
    deadLetters: new SqsDeliveryDeadLetters(clients.sqs, c[ENV.deliveryDlqUrl]),
    retries: new SqsDeliveryRetries(clients.sqs, [
      c[ENV.deliveryQueueUrl],
      c[ENV.deliveryFifoQueueUrl],
    ]),
    events: new QueuedPlatformEvents(new SqsEventQueue(clients.sqs, c[ENV.queueUrl])),
    config: {
      schedule: c[ENV.deliveryRetrySchedule],
      disableAfterMs: c[ENV.deliveryDisableAfterSeconds] * 1000,
      // An attempt ends by the response timeout; the lease outlasts it with margin.
      leaseSeconds: Math.ceil(responseTimeoutMs / 1000) + 30,
      maxConcurrency: c[ENV.destinationMaxConcurrency],
      cacheMs: DESTINATION_CACHE_MS,
    },
    state: new DeliverState(),
  };
}

export function createDeliverHandler(deps: DeliverDeps) {
  async function lambdaHandler(event: SQSEvent): Promise<SQSBatchResponse> {
    const batch = new DeliverBatch(deps);
    const failed = await batch.run(
      event.Records.map((r) => ({
        messageId: r.messageId,
        receiptHandle: r.receiptHandle,
        body: r.body,
        queueArn: r.eventSourceARN,
        ...(r.attributes?.MessageGroupId ? { groupId: r.attributes.MessageGroupId } : {}),
      })),
    );
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  }
  return middy(lambdaHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
