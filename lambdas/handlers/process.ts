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
 * Fault injection (local runtime only, off by default): see FAULT_ENV.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { z } from "zod";
import { ENV } from "../../lib/contracts/environment.js";
import { DynamoDbEventWriter } from "../adapters/dynamodb-event-writer.js";
import { toQueueMessage } from "../adapters/sqs-record.js";
import { SqsVisibilityRetryScheduler } from "../adapters/sqs-visibility.js";
import { documentClient, sqs } from "../shared/clients.js";
import { envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { FAULT_ENV, InjectedCrashError, ProcessBatch } from "../use-cases/process-batch.js";

const env = parseEnv({
  [ENV.tableName]: envVars[ENV.tableName],
  [ENV.queueUrl]: envVars[ENV.queueUrl],
  [ENV.maxReceiveCount]: envVars[ENV.maxReceiveCount],
  [ENV.retryBaseDelaySeconds]: envVars[ENV.retryBaseDelaySeconds],
  [ENV.retryMaxDelaySeconds]: envVars[ENV.retryMaxDelaySeconds],
  [ENV.eventRetentionDays]: envVars[ENV.eventRetentionDays],
  [ENV.statsShards]: envVars[ENV.statsShards],
  [ENV.timeShards]: envVars[ENV.timeShards],
  [FAULT_ENV.crashAfterWriteRate]: z.coerce.number().min(0).max(1).default(0),
  [FAULT_ENV.poisonType]: z
    .string()
    .optional()
    .transform((v) => v || undefined),
});

const writer = new DynamoDbEventWriter(documentClient, {
  tableName: env[ENV.tableName],
  eventRetentionDays: env[ENV.eventRetentionDays],
  timeShards: env[ENV.timeShards],
  statsShards: env[ENV.statsShards],
});
const retries = new SqsVisibilityRetryScheduler(sqs, env[ENV.queueUrl]);
const config = {
  retryBaseDelaySeconds: env[ENV.retryBaseDelaySeconds],
  retryMaxDelaySeconds: env[ENV.retryMaxDelaySeconds],
  maxReceiveCount: env[ENV.maxReceiveCount],
  poisonType: env[FAULT_ENV.poisonType],
};
const crashRate = env[FAULT_ENV.crashAfterWriteRate];
if (crashRate > 0 || config.poisonType) {
  logger.warn("Fault injection is on", { crashRate, poisonType: config.poisonType });
}

export async function lambdaHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // Per invocation: a processor holds the batch's state, and the local runtime may run
  // several invocations of this module at once.
  const processor = new BatchProcessor(EventType.SQS);
  const batch = new ProcessBatch({ writer, retries, config });
  const response = await processPartialResponse(
    event,
    (record: SQSRecord) => batch.handle(toQueueMessage(record)),
    processor,
    { context },
  );
  await batch.finish();
  if (crashRate > 0 && Math.random() < crashRate) {
    throw new InjectedCrashError("injected crash after the batch's writes");
  }
  return response;
}

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
