/**
 * Test support: the embedded emulators with the stack's resources, and the process
 * environment the handlers read (set before a handler module is imported, because
 * handlers read configuration at cold start).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type EventFlowSettings,
  type EventFlowSettingsInput,
  resolveSettings,
} from "../../lib/config.js";
import { type FunctionName, functionEnvironment } from "../../lib/contracts/functions.js";
import { type Emulators, startEmulators } from "../../local/emulators.js";
import { ensureResources, type LocalResources } from "../../local/resources.js";

export interface TestAws {
  emulators: Emulators;
  settings: EventFlowSettings;
  resources: LocalResources;
  dynamodb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  sqs: SQSClient;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * Starts fauxqs and dynalite in memory, creates the queue, DLQ and table, and sets
 * process.env for the named functions (SDK endpoints, credentials, and the same
 * environment the CDK stack gives them).
 */
export async function startTestAws(
  functions: FunctionName[],
  overrides: EventFlowSettingsInput = {},
): Promise<TestAws> {
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "test";
  process.env.AWS_SECRET_ACCESS_KEY ??= "test";
  process.env.POWERTOOLS_DEV ??= "false";
  const emulators = await startEmulators();
  process.env.AWS_ENDPOINT_URL_SQS = emulators.sqsEndpoint;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = emulators.dynamodbEndpoint;
  const settings = resolveSettings(overrides);
  const dynamodb = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint });
  const sqs = new SQSClient({ endpoint: emulators.sqsEndpoint, useQueueUrlAsEndpoint: false });
  const suffix = `${process.pid}-${++counter}`;
  const resources = await ensureResources({ dynamodb, sqs }, settings, {
    tableName: `events-${suffix}`,
    queueName: `events-${suffix}`,
    dlqName: `events-dlq-${suffix}`,
  });
  for (const fn of functions) {
    Object.assign(process.env, functionEnvironment(fn, settings, resources));
  }
  // Metrics are flushed to stdout as EMF; keep test output readable.
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "SILENT";
  return {
    emulators,
    settings,
    resources,
    dynamodb,
    documentClient: DynamoDBDocumentClient.from(dynamodb),
    sqs,
    stop: async () => {
      dynamodb.destroy();
      sqs.destroy();
      await emulators.stop();
    },
  };
}
