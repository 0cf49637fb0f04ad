/**
 * The jobs function (README "History"): runs history jobs (exports, replays, erasures) from
 * the jobs queue, one bounded slice per message; a slice that throws comes back (SQS), and
 * after maxReceiveCount receives goes to the jobs DLQ (an alarm watches it).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { DynamoDbEventEraser } from "../adapters/dynamodb-event-eraser.js";
import { DynamoDbJobStore } from "../adapters/dynamodb-job-store.js";
import { encodeArchiveRows } from "../adapters/parquet-archive.js";
import { S3ArchiveStore } from "../adapters/s3-archive-store.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { SqsJobQueue } from "../adapters/sqs-job-queue.js";
import type { JobMessage } from "../domain/history-jobs.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { type JobRunDeps, runJobSlice } from "../use-cases/history-jobs.js";
import { sqsBatchHandler } from "./sqs-record.js";

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
    },
    env,
  );
  return {
    jobs: new DynamoDbJobStore(clients.documentClient, config[ENV.configTableName]),
    queue: new SqsJobQueue(clients.sqs, config[ENV.jobsQueueUrl]),
    store: new S3ArchiveStore(clients.s3, { bucket: config[ENV.archiveBucket] }),
    eraser: new DynamoDbEventEraser(clients.documentClient, config[ENV.tableName]),
    events: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    encodeParquet: encodeArchiveRows,
    now: () => new Date(),
    replayMaxRate: config[ENV.replayMaxRate],
    erasureSettleSeconds: config[ENV.erasureSettleSeconds],
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
