/**
 * The jobs function (README "History"): runs history jobs (exports, replays, erasures) from
 * the jobs queue, one bounded slice per message; a slice that throws comes back (SQS), and
 * after maxReceiveCount receives goes to the jobs DLQ (an alarm watches it).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { ENV } from "../../lib/contracts/environment.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { DynamoDbDeliveryLog } from "../adapters/dynamodb-delivery-log.js";
import { DynamoDbDestinationOrdering } from "../adapters/dynamodb-destination-ordering.js";
import { DynamoDbEventEraser } from "../adapters/dynamodb-event-eraser.js";
import { DynamoDbJobStore } from "../adapters/dynamodb-job-store.js";
import { decodeArchiveRows, encodeArchiveRows } from "../adapters/parquet-archive.js";
import { S3ArchiveStore } from "../adapters/s3-archive-store.js";
import { SqsDeliveryQueue } from "../adapters/sqs-delivery-queue.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { SqsJobQueue } from "../adapters/sqs-job-queue.js";
import type { JobMessage } from "../domain/history-jobs.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { type JobRunDeps, runJobSlice } from "../use-cases/history-jobs.js";
import { sqsBatchHandler } from "./sqs-record.js";
import { windowStoresFrom } from "./store-wiring.js";

export function jobsDeps(
  env: EnvRecord,
  clients: { documentClient: DynamoDBDocumentClient; sqs: SQSClient; s3: S3Client },
): JobRunDeps {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      [ENV.configTableName]: envVars[ENV.configTableName],
      [ENV.archiveBucket]: envVars[ENV.archiveBucket],
      [ENV.jobsQueueUrl]: envVars[ENV.jobsQueueUrl],
      [ENV.queueUrl]: envVars[ENV.queueUrl],
      [ENV.replayMaxRate]: envVars[ENV.replayMaxRate],
      [ENV.erasureSettleSeconds]: envVars[ENV.erasureSettleSeconds],
      [ENV.archiveStagedReadMaxFiles]: envVars[ENV.archiveStagedReadMaxFiles],
      [ENV.archiveStagedWaitSeconds]: envVars[ENV.archiveStagedWaitSeconds],
      [ENV.deliveryQueueUrl]: z.url(),
      [ENV.deliveryFifoQueueUrl]: z.url(),
      [ENV.deliveriesTableName]: z.string().min(1),
      [ENV.deliveryRetentionDays]: z.coerce.number().int().min(1),
    },
    env,
  );
  const windows = windowStoresFrom(env, clients.documentClient);
  const destinations = new DynamoDbDestinationOrdering(
    clients.documentClient,
    config[ENV.configTableName],
  );
  return {
    jobs: new DynamoDbJobStore(clients.documentClient, config[ENV.configTableName]),
    queue: new SqsJobQueue(clients.sqs, config[ENV.jobsQueueUrl]),
    // Every job kind reads the archive: the reader stays in the main file.
    store: new S3ArchiveStore(clients.s3, {
      bucket: config[ENV.archiveBucket],
      readRows: decodeArchiveRows,
    }),
    eraser: new DynamoDbEventEraser(clients.documentClient, config[ENV.tableName]),
    events: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    // A destination target: the delivery engine's own queue (DeliveryQueue), as rules use.
    deliveries: new SqsDeliveryQueue(clients.sqs, {
      queueUrl: config[ENV.deliveryQueueUrl],
      fifoQueueUrl: config[ENV.deliveryFifoQueueUrl],
    }),
    destinations,
    declarations: windows.declarations,
    contributions: windows.contributions,
    windowRetentionDays: windows.retentionDays,
    deliveryLog: new DynamoDbDeliveryLog(clients.documentClient, {
      tableName: config[ENV.deliveriesTableName],
      retentionDays: config[ENV.deliveryRetentionDays],
    }),
    encodeParquet: encodeArchiveRows,
    now: () => new Date(),
    replayMaxRate: config[ENV.replayMaxRate],
    erasureSettleSeconds: config[ENV.erasureSettleSeconds],
    stagedReadMaxFiles: config[ENV.archiveStagedReadMaxFiles],
    stagedWaitSeconds: config[ENV.archiveStagedWaitSeconds],
  };
}

export function createJobsHandler(deps: JobRunDeps) {
  return sqsBatchHandler(() => ({
    handle: async (record) => {
      const message = JSON.parse(record.body) as JobMessage;
      try {
        const outcome = await runJobSlice(message, deps);
        logger.info("History job slice", { ...message, outcome });
      } catch (error) {
        metrics.addMetric(METRIC.historyJobsFailed, MetricUnit.Count, 1);
        logger.error("History job slice failed", { ...message, error: String(error) });
        throw error;
      }
    },
  }));
}
