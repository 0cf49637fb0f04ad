/**
 * Test support: the embedded emulators with the stack's resources; handlers built
 * through their wiring with clients a test holds (`handler`), and the process
 * environment the entry modules read (set before one is imported, because they read
 * configuration at cold start).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbClients, createSqsClient } from "../../lambdas/shared/clients.js";
import { createS3Client } from "../../lambdas/shared/s3-client.js";
import {
  type EventFlowSettings,
  type EventFlowSettingsInput,
  resolveSettings,
} from "../../lib/config.js";
import { type FunctionName, functionEnvironment } from "../../lib/contracts/functions.js";
import { type Emulators, startEmulators } from "../../local/emulators.js";
import { buildHandler, type HandlerClients } from "../../local/functions.js";
import { ensureResources, type LocalResources } from "../../local/resources.js";
import { localSecrets } from "../../local/secrets.js";

/** The page cursors' key of the handler tests. */
export const TEST_CURSOR_KEY = "test-cursor-key-0123456789abcdefghijklmnop";

export interface TestAws {
  emulators: Emulators;
  settings: EventFlowSettings;
  resources: LocalResources;
  dynamodb: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** New clients for a handler, pointing at the emulators (spy on them freely). */
  handlerClients(): HandlerClients;
  /** A function's handler, built from its environment record and clients (default: new ones). */
  handler<H>(name: FunctionName, clients?: HandlerClients): Promise<H>;
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
  const s3 = createS3Client({ endpoint: emulators.sqsEndpoint, region: process.env.AWS_REGION });
  const resources = await ensureResources({ dynamodb, sqs, s3 }, settings, {
    tableName: `events-${suffix}`,
    queueName: `events-${suffix}`,
    dlqName: `events-dlq-${suffix}`,
    configTableName: `config-${suffix}`,
    archiveBucketName: `archive-${suffix}`,
    jobsQueueName: `jobs-${suffix}`,
  });
  s3.destroy();
  for (const fn of functions) {
    Object.assign(process.env, functionEnvironment(fn, settings, resources));
  }
  // Metrics are flushed to stdout as EMF; keep test output readable.
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "SILENT";
  const made: HandlerClients[] = [];
  const handlerClients = (): HandlerClients => {
    const region = process.env.AWS_REGION;
    const clients = {
      ...createDynamoDbClients({ endpoint: emulators.dynamodbEndpoint, region }),
      sqs: createSqsClient({ endpoint: emulators.sqsEndpoint, region }),
      s3: createS3Client({ endpoint: emulators.sqsEndpoint, region }),
      secrets: localSecrets({ [resources.cursorSecretId]: TEST_CURSOR_KEY }),
    };
    made.push(clients);
    return clients;
  };
  return {
    emulators,
    settings,
    resources,
    dynamodb,
    documentClient: DynamoDBDocumentClient.from(dynamodb),
    sqs,
    handlerClients,
    handler: async <H>(name: FunctionName, clients = handlerClients()) =>
      (await buildHandler(
        name,
        functionEnvironment(name, settings, resources),
        clients,
      )) as unknown as H,
    stop: async () => {
      for (const c of made.splice(0)) {
        c.dynamodb.destroy();
        c.sqs.destroy();
        c.s3.destroy();
      }
      dynamodb.destroy();
      sqs.destroy();
      await emulators.stop();
    },
  };
}
