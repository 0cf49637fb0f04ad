/**
 * The in-process world the handler and cost benchmarks run in: fauxqs and dynalite in
 * this process (local/emulators.ts, as the tests and the local runtime start them), the
 * stack's queue and table, the production environment of the functions, and the handler
 * modules loaded once, with the shared SDK clients they use.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PurgeQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type EventFlowSettings, resolveSettings } from "../../lib/config.js";
import { functionEnvironment } from "../../lib/contracts/functions.js";
import { type Emulators, startEmulators } from "../../local/emulators.js";
import { ensureResources, type LocalResources } from "../../local/resources.js";

type IngestModule = typeof import("../../lambdas/handlers/ingest.js");
type ProcessModule = typeof import("../../lambdas/handlers/process.js");
type ClientsModule = typeof import("../../lambdas/shared/clients.js");

export interface BenchAws {
  settings: EventFlowSettings;
  resources: LocalResources;
  emulators: Emulators;
  /** The bench's own clients (setup, purge, and the event source mapping's polling). */
  admin: { sqs: SQSClient; dynamodb: DynamoDBClient };
  /** The clients the handlers share (lambdas/shared). */
  clients: ClientsModule;
  ingest: IngestModule["handler"];
  process: ProcessModule["handler"];
  purgeQueue(): Promise<void>;
  stop(): Promise<void>;
}

let started: Promise<BenchAws> | undefined;

/** Starts once per process: the handler modules read their configuration at import. */
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
  for (const name of ["ingest", "process"] as const) {
    const { NODE_OPTIONS: _inProcessOnly, ...env } = functionEnvironment(name, settings, resources);
    Object.assign(process.env, env);
  }
  const clients = await import("../../lambdas/shared/clients.js");
  const { handler: ingest } = await import("../../lambdas/handlers/ingest.js");
  const { handler: processHandler } = await import("../../lambdas/handlers/process.js");
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
