/**
 * The in-process world the handler and cost benchmarks run in: fauxqs and dynalite in
 * this process (local/emulators.ts, as the tests and the local runtime start them), the
 * stack's queue and table, the production environment of the functions, and the handlers
 * built once by their factories (lambdas/handlers), with SDK clients made as the entry
 * modules make theirs (lambdas/shared factories).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PurgeQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { createIngestHandler, ingestDeps } from "../../lambdas/handlers/ingest.js";
import { createProcessHandler, processDeps } from "../../lambdas/handlers/process.js";
import { createDynamoDbClients, type DynamoDbClients } from "../../lambdas/shared/clients.js";
import { createSqsClient } from "../../lambdas/shared/sqs-client.js";
import { type EventFlowSettings, resolveSettings } from "../../lib/config.js";
import { functionEnvironment } from "../../lib/contracts/functions.js";
import { type Emulators, startEmulators } from "../../local/emulators.js";
import { ensureResources, type LocalResources } from "../../local/resources.js";

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface BenchAws {
  settings: EventFlowSettings;
  resources: LocalResources;
  emulators: Emulators;
  /** The bench's own clients (setup, purge, and the event source mapping's polling). */
  admin: { sqs: SQSClient; dynamodb: DynamoDBClient };
  /** The clients the handlers share (made by the lambdas/shared factories). */
  clients: DynamoDbClients & { sqs: SQSClient };
  ingest: Handler<APIGatewayProxyEvent, APIGatewayProxyResult>;
  process: Handler<SQSEvent, SQSBatchResponse>;
  purgeQueue(): Promise<void>;
  stop(): Promise<void>;
}

let started: Promise<BenchAws> | undefined;

/** Starts once per process: Powertools reads its settings when its module loads. */
export function benchAws(): Promise<BenchAws> {
  started ??= start();
  return started;
}

/** Stops what benchAws() started, if anything; a failed start has nothing to stop. */
export async function stopBenchAws(): Promise<void> {
  const running = started;
  started = undefined;
  const aws = await running?.catch(() => undefined);
  await aws?.stop();
}

async function start(): Promise<BenchAws> {
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = "AKIDBENCHEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY = "bench-secret";
  // Production logging and metrics: Powertools' JSON logs at INFO, EMF metrics on.
  delete process.env.POWERTOOLS_DEV;
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  const emulators = await startEmulators();
  if (!emulators.sqsEndpoint || !emulators.dynamodbEndpoint) {
    throw new Error("bench: the embedded emulators did not start");
  }
  process.env.AWS_ENDPOINT_URL_SQS = emulators.sqsEndpoint;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = emulators.dynamodbEndpoint;
  const settings = resolveSettings({});
  const admin = {
    sqs: new SQSClient({ endpoint: emulators.sqsEndpoint, useQueueUrlAsEndpoint: false }),
    dynamodb: new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint }),
  };
  const resources = await ensureResources(admin, settings, {
    tableName: `bench-events-${process.pid}`,
    queueName: `bench-events-${process.pid}`,
    dlqName: `bench-events-dlq-${process.pid}`,
  });
  const environment = (name: "ingest" | "process") => {
    const { NODE_OPTIONS: _inProcessOnly, ...env } = functionEnvironment(name, settings, resources);
    return env;
  };
  // Powertools' settings (log level, metrics on) as the functions have them.
  Object.assign(process.env, environment("ingest"), environment("process"));
  const clients = {
    ...createDynamoDbClients({ endpoint: emulators.dynamodbEndpoint }),
    sqs: createSqsClient({ endpoint: emulators.sqsEndpoint }),
  };
  const ingest = createIngestHandler(
    ingestDeps(environment("ingest"), clients),
  ) as BenchAws["ingest"];
  const processHandler = createProcessHandler(
    processDeps(environment("process"), clients),
  ) as BenchAws["process"];
  return {
    settings,
    resources,
    emulators,
    admin,
    clients,
    ingest,
    process: processHandler,
    purgeQueue: async () => {
      await admin.sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queueUrl }));
    },
    stop: async () => {
      admin.sqs.destroy();
      admin.dynamodb.destroy();
      clients.sqs.destroy();
      clients.dynamodb.destroy();
      await emulators.stop();
    },
  };
}
