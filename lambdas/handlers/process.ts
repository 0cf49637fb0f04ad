/**
 * The process function: consumes the events queue with partial batch responses.
 * Each record is stored (or recorded as failed, or found a duplicate) or it throws and
 * is listed in batchItemFailures; see use-cases/process-batch.ts.
 *
 * When every record of a batch fails, Powertools throws FullBatchFailureError (its
 * default, kept): Lambda then returns the whole batch, the same as listing every id,
 * and the invocation counts as a function error, which is what the Errors alarm and the
 * event source's backoff should see during an outage. Each failed message has already
 * had its visibility set to its backoff delay, so either way it returns after the delay.
 *
 * Faults (crash after write, poison type) are injected by the local runtime around this
 * handler and its DynamoDB client (local/faults.ts), never in here.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { ENV } from "../../lib/contracts/environment.js";
import { DynamoDbDestinationOrdering } from "../adapters/dynamodb-destination-ordering.js";
import { DynamoDbRuleStore } from "../adapters/dynamodb-rule-store.js";
import { SqsDeliveryQueue } from "../adapters/sqs-delivery-queue.js";
import { SqsVisibilityRetryScheduler } from "../adapters/sqs-visibility.js";
import type { DeliveryQueue } from "../ports/delivery-queue.js";
import type { EventWriter } from "../ports/event-store.js";
import type { RetryScheduler } from "../ports/retry-scheduler.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import type { WindowApplier } from "../use-cases/apply-windows.js";
import { ProcessBatch, type ProcessBatchConfig } from "../use-cases/process-batch.js";
import { CachedRules, type RulesProvider } from "../use-cases/tenant-rules.js";
import { sqsBatchHandler, toQueueMessage } from "./sqs-record.js";
import { eventWriterFrom, windowApplierFrom } from "./store-wiring.js";

export interface ProcessDeps {
  writer: EventWriter;
  /** Windows and patterns: contributions of each stored event (absent: none declared anywhere). */
  windows?: WindowApplier;
  rules?: RulesProvider;
  /** A rule's route: deliveries enqueued after the event's conditional write. */
  deliveries?: DeliveryQueue;
  retries: RetryScheduler;
  config: ProcessBatchConfig;
}

export function processDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient; sqs: SQSClient },
): ProcessDeps {
  const config = parseEnv(
    {
      [ENV.queueUrl]: envVars[ENV.queueUrl],
      [ENV.maxReceiveCount]: envVars[ENV.maxReceiveCount],
      [ENV.retryBaseDelaySeconds]: envVars[ENV.retryBaseDelaySeconds],
      [ENV.retryMaxDelaySeconds]: envVars[ENV.retryMaxDelaySeconds],
      [ENV.configTableName]: envVars[ENV.configTableName],
      [ENV.rulesCacheSeconds]: envVars[ENV.rulesCacheSeconds],
      [ENV.deliveryQueueUrl]: z.url().optional(),
      [ENV.deliveryFifoQueueUrl]: z.url().optional(),
    },
    env,
  );
  const writer = eventWriterFrom(env, clients.documentClient);
  const deliveryQueueUrl = config[ENV.deliveryQueueUrl];
  const fifoQueueUrl = config[ENV.deliveryFifoQueueUrl];
  return {
    writer,
    windows: windowApplierFrom(env, clients.documentClient, writer),
    // Eventually consistent reads: the cache bound (rulesCacheSeconds) dwarfs DynamoDB's lag.
    rules: new CachedRules(
      new DynamoDbRuleStore(clients.documentClient, { tableName: config[ENV.configTableName] }),
      config[ENV.rulesCacheSeconds] * 1000,
    ),
    ...(deliveryQueueUrl && fifoQueueUrl
      ? {
          deliveries: new SqsDeliveryQueue(clients.sqs, {
            queueUrl: deliveryQueueUrl,
            fifoQueueUrl,
            // A route names destination ids only: their `ordered` setting picks the queue.
            ordering: new DynamoDbDestinationOrdering(
              clients.documentClient,
              config[ENV.configTableName],
            ),
          }),
        }
      : {}),
    retries: new SqsVisibilityRetryScheduler(clients.sqs, config[ENV.queueUrl]),
    config: {
      retryBaseDelaySeconds: config[ENV.retryBaseDelaySeconds],
      retryMaxDelaySeconds: config[ENV.retryMaxDelaySeconds],
      maxReceiveCount: config[ENV.maxReceiveCount],
    },
  };
}

export function createProcessHandler(deps: ProcessDeps) {
  return sqsBatchHandler(() => {
    const batch = new ProcessBatch(deps);
    return {
      handle: (record) => batch.handle(toQueueMessage(record)),
      finish: () => batch.finish(),
    };
  });
}
