/**
 * The DLQ consumer: records each dead-lettered event as `failed` (kind "dead_letter"),
 * idempotently. A record that cannot be stored throws and stays in the DLQ; see
 * use-cases/record-dead-event.ts. A full-batch failure throws (Powertools' default),
 * which leaves the whole batch in the DLQ: the same outcome as listing every id.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { ENV } from "../../lib/contracts/environment.js";
import { DynamoDbEventWriter } from "../adapters/dynamodb-event-writer.js";
import { toQueueMessage } from "../adapters/sqs-record.js";
import { SqsVisibilityRetryScheduler } from "../adapters/sqs-visibility.js";
import { documentClient, sqs } from "../shared/clients.js";
import { envVars, parseEnv } from "../shared/env.js";
import { logger, metrics } from "../shared/powertools.js";
import { DeadLetterBatch } from "../use-cases/record-dead-event.js";

const env = parseEnv({
  [ENV.tableName]: envVars[ENV.tableName],
  [ENV.dlqUrl]: envVars[ENV.dlqUrl],
  [ENV.maxReceiveCount]: envVars[ENV.maxReceiveCount],
  [ENV.eventRetentionDays]: envVars[ENV.eventRetentionDays],
  [ENV.statsShards]: envVars[ENV.statsShards],
  [ENV.timeShards]: envVars[ENV.timeShards],
});

const writer = new DynamoDbEventWriter(documentClient, {
  tableName: env[ENV.tableName],
  eventRetentionDays: env[ENV.eventRetentionDays],
  timeShards: env[ENV.timeShards],
  statsShards: env[ENV.statsShards],
});
const retries = new SqsVisibilityRetryScheduler(sqs, env[ENV.dlqUrl]);

export async function lambdaHandler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const batch = new DeadLetterBatch({
    writer,
    retries,
    maxReceiveCount: env[ENV.maxReceiveCount],
  });
  const response = await processPartialResponse(
    event,
    (record: SQSRecord) => batch.handle(toQueueMessage(record)),
    processor,
    { context },
  );
  await batch.finish();
  return response;
}

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
