/**
 * The whole platform in one process: emulators (or external endpoints), the
 * stack's queue, DLQ and table, the REST API and the two SQS event sources,
 * running the same handlers with the same environment and settings as AWS.
 *
 * This file only puts the parts together, in order (local/README.md, "Layout"): the data
 * folder (data-dir.ts), the emulators (emulators.ts), the clients and the handler
 * loader (functions.ts), the event sources (event-sources.ts), the gateway (gateway/), the admin API
 * (admin-api.ts), the HTTP server (http-server.ts, listen.ts), and the shutdown
 * (lifecycle.ts).
 *
 * Each handler is built on first use from its function's own environment record and
 * the clients the runtime gives it (local/functions.ts); process.env is not changed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbKeyStore } from "../lambdas/adapters/dynamodb-key-store.js";
import { createDynamoDbClients } from "../lambdas/shared/clients.js";
import { createSnsClient } from "../lambdas/shared/delivery-clients.js";
import { logger } from "../lambdas/shared/powertools.js";
import { createS3Client } from "../lambdas/shared/s3-client.js";
import { createSqsClient } from "../lambdas/shared/sqs-client.js";
import {
  type EventFlowSettings,
  type EventFlowSettingsInput,
  queueVisibilityTimeoutSeconds,
  resolveSettings,
} from "../lib/config.js";
import { splitEvent } from "../lib/contracts/archive.js";
import { type FunctionName, functionEnvironment } from "../lib/contracts/functions.js";
import { LOCAL_RUNTIME } from "../lib/contracts/local-runtime.js";
import { LocalAdmin } from "./admin-api.js";
import { ChangeFeed } from "./change-feed.js";
import { lockDataDir, resetDataDir, tightenDataDir } from "./data-dir.js";
import { type Emulators, startEmulators } from "./emulators.js";
import { startEventSources } from "./event-sources.js";
import { type FaultInput, Faults } from "./faults.js";
import {
  FUNCTION_PREFIX,
  functionConfig,
  type HandlerClients,
  type HandlerFactory,
  HandlerLoader,
} from "./functions.js";
import { stackApi } from "./gateway/from-settings.js";
import { createRuntimeServer } from "./http-server.js";
import { prototypeAdditions } from "./integrity.js";
import { ensureDevKey, writeRuntimeInfo } from "./keys.js";
import { type InvokeOutcome, invokeFunction } from "./lambda.js";
import { Lifecycle, type ShutdownReport } from "./lifecycle.js";
import {
  assertBound,
  boundAddress,
  closeServer,
  displayHost,
  EMULATOR_HOST,
  isLoopbackAddress,
  listen,
} from "./listen.js";
import { createLogger, type LogLevel, type RuntimeLogger } from "./log.js";
import { MetricsAggregator } from "./metrics.js";
import { LocalOutbox } from "./outbox.js";
import { captureHandlerOutput, type OutputCapture } from "./output.js";
import { pendingMessages, queueDepth } from "./queue-depth.js";
import { DEFAULT_RESOURCE_NAMES, ensureResources, type LocalResources } from "./resources.js";
import { startSweepSchedule } from "./schedules.js";
import { ensureCursorKey, ensureDestinationKey, localSecrets } from "./secrets.js";

export { RuntimeStartError } from "./errors.js";
export type { ShutdownReport } from "./lifecycle.js";

export interface RuntimeOptions {
  repoRoot: string;
  port: number;
  host: string;
  /** Folder for the emulators' data; null keeps everything in memory. */
  dataDir: string | null;
  /** Empty the data folder first (--reset). */
  reset?: boolean;
  /** Settings overrides (same keys as the CDK context). */
  settings?: EventFlowSettingsInput;
  drainTimeoutSeconds?: number;
  json?: boolean;
  color?: boolean;
  logLevel?: LogLevel;
  faults?: FaultInput;
  /** Route handler stdout/stderr through the log formatter and the metrics aggregator. */
  captureOutput?: boolean;
  /** Defaults to process.env: read (external endpoints, region, credentials), never written. */
  env?: NodeJS.ProcessEnv;
  /** Tests only: builds handlers to run instead of the functions' own (local/functions.ts). */
  handlers?: Partial<Record<FunctionName, HandlerFactory>>;
  /** Run the embedded emulators on a worker thread (default true; false: this event loop). */
  emulatorThread?: boolean;
  /** Tests only: a shorter API Gateway integration timeout. */
  integrationTimeoutMs?: number;
  logger?: RuntimeLogger;
}

export interface Endpoints {
  sqs: string;
  dynamodb: string;
  embeddedSqs: boolean;
  embeddedDynamodb: boolean;
}

export interface Runtime {
  url: string;
  port: number;
  host: string;
  /** The address the API server is bound to (checked against `host`). */
  boundAddress: string;
  dataDir: string | null;
  settings: EventFlowSettings;
  resources: LocalResources;
  endpoints: Endpoints;
  faults: Faults;
  metrics: MetricsAggregator;
  /** The development key (tenant `local`, every scope): see local/keys.ts. */
  devKey: string;
  /** Where the development key is kept (absent with --memory). */
  devKeyFile?: string;
  /** Graceful by default: stop accepting, drain, stop. */
  shutdown(options?: { drain?: boolean }): Promise<ShutdownReport>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const json = options.json ?? false;
  const logLevel = options.logLevel ?? "info";
  const log =
    options.logger ?? createLogger({ json, level: logLevel, color: options.color ?? false });
  // Webhooks to loopback (a receiver on this machine) are on locally unless set otherwise;
  // a deployed stack refuses them (lib/eventflow-stack.ts).
  const settings = resolveSettings({
    deliveryAllowLoopback: true,
    deliveryEmailFrom: "eventflow@localhost",
    ...(options.settings ?? {}),
  });
  const lifecycle = new Lifecycle(log);
  const cleanups = lifecycle.cleanups;

  try {
    const dataDir = options.dataDir ? resolve(options.dataDir) : null;
    if (dataDir) {
      cleanups.push(lockDataDir(dataDir));
      // After the lock: never wipe a folder another runtime is using.
      if (options.reset) resetDataDir(dataDir);
      tightenDataDir(dataDir);
    }

    // Endpoints: external ones when the SDK's own variables name them.
    const externalSqs = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || undefined;
    const externalDynamodb = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined;
    // S3 (the archive): an external endpoint if named, else the embedded fauxqs (which also
    // serves S3), keeping objects as files that DuckDB reads in place.
    const externalS3 = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
    let s3Dir: string | undefined;
    if (!externalSqs && !externalS3) {
      if (dataDir) {
        s3Dir = join(dataDir, LOCAL_RUNTIME.s3Dir);
      } else {
        const temporary = mkdtempSync(join(tmpdir(), "eventflow-s3-"));
        s3Dir = temporary;
        cleanups.push(() => rmSync(temporary, { recursive: true, force: true }));
      }
    }
    let emulators: Emulators | undefined;
    if (!externalSqs || !externalDynamodb) {
      emulators = await startEmulators({
        ...(dataDir ? { dataDir } : {}),
        ...(s3Dir ? { s3Dir } : {}),
        sqs: !externalSqs,
        dynamodb: !externalDynamodb,
        // Their own event loop, so the handlers and the emulators use both cores.
        thread: options.emulatorThread ?? true,
        host: EMULATOR_HOST,
      });
      const started = emulators;
      cleanups.push(() => started.stop());
      // No authentication in either: loopback only, or no start.
      for (const [name, bound] of Object.entries(started.bound)) {
        await assertBound(`the embedded ${name} emulator`, bound, EMULATOR_HOST);
      }
      // Their files, created since the folder was tightened.
      if (dataDir) tightenDataDir(dataDir);
    }
    const endpoints: Endpoints = {
      sqs: externalSqs ?? emulators?.sqsEndpoint ?? "",
      dynamodb: externalDynamodb ?? emulators?.dynamodbEndpoint ?? "",
      embeddedSqs: !externalSqs,
      embeddedDynamodb: !externalDynamodb,
    };

    // Clients get the endpoints, region and (unless the environment names real ones) local
    // credentials as settings: process.env is read, never written.
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
    const credentials =
      env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE
        ? undefined
        : { accessKeyId: "local", secretAccessKey: "local" };
    const dynamodb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials });
    const sqs = createSqsClient({ endpoint: endpoints.sqs, region, credentials });
    const deliverySqs = createSqsClient({ endpoint: endpoints.sqs, region, credentials });
    cleanups.push(() => {
      dynamodb.destroy();
      sqs.destroy();
      deliverySqs.destroy();
    });
    const s3Endpoint = externalS3 ?? endpoints.sqs;
    const s3 = createS3Client({ endpoint: s3Endpoint, region, credentials });
    cleanups.push(() => s3.destroy());
    const resources = await ensureResources(
      { dynamodb, sqs, s3 },
      settings,
      DEFAULT_RESOURCE_NAMES,
      s3Dir,
    );
    // Every route needs a key, on a clean clone too: one for tenant `local` from the start.
    const keyStore = new DynamoDbKeyStore(DynamoDBDocumentClient.from(dynamodb), {
      tableName: resources.keysTableName,
    });
    const devKey = await ensureDevKey(keyStore, dataDir);

    // The handlers' Logger is one module instance: its level is the runtime's.
    const levelBefore = logger.getLevelName();
    logger.setLogLevel(logLevel === "silent" ? "SILENT" : (logLevel.toUpperCase() as "INFO"));
    cleanups.push(() => logger.setLogLevel(levelBefore));

    const metrics = new MetricsAggregator();
    let capture: OutputCapture | undefined;
    if (options.captureOutput ?? true) {
      capture = captureHandlerOutput({
        json,
        level: logLevel,
        color: options.color ?? false,
        metrics,
        functionPrefix: FUNCTION_PREFIX,
      });
      const active = capture;
      cleanups.push(() => active.restore());
    }

    const faults = new Faults();
    const outbox = new LocalOutbox();
    // The functions' own clients (not the pollers'), with the DynamoDB faults on them.
    const handlerClients: HandlerClients = {
      ...createDynamoDbClients({ endpoint: endpoints.dynamodb, region, credentials }),
      sqs: createSqsClient({ endpoint: endpoints.sqs, region, credentials }),
      s3,
      secrets: localSecrets({
        [resources.cursorSecretId]: ensureCursorKey(dataDir),
        [resources.destinationSecretId]: ensureDestinationKey(dataDir),
      }),
      // SNS on fauxqs; SES and EventBridge (no emulator here) write to the local outbox.
      sns: createSnsClient({ endpoint: endpoints.sqs, region, credentials }),
      eventBridge: outbox.eventBridge,
      ses: outbox.ses,
    };
    faults.install(handlerClients.dynamodb);
    cleanups.push(() => {
      handlerClients.dynamodb.destroy();
      handlerClients.sqs.destroy();
    });
    // The queue-visibility fault changes the main queue itself; clearing restores the stack's value.
    faults.bindQueue(async (seconds) => {
      const VisibilityTimeout = String(seconds ?? queueVisibilityTimeoutSeconds(settings));
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: resources.queueUrl,
          Attributes: { VisibilityTimeout },
        }),
      );
    });
    if (options.faults) faults.update(options.faults);

    const loader = new HandlerLoader(
      (name) => ({
        name,
        environment: functionEnvironment(name, settings, resources),
        clients: handlerClients,
      }),
      options.handlers,
      (name, handler) => (name === "process" ? faults.crashingAfterWrite(handler) : handler),
    );
    const invoke = async (name: FunctionName, event: unknown): Promise<InvokeOutcome> => {
      let handler: Awaited<ReturnType<HandlerLoader["get"]>>;
      try {
        handler = await loader.get(name);
      } catch (error) {
        log.error(`${name}: init failed`, { error: String(error) });
        return { kind: "error", error, durationMs: 0, requestId: "init" };
      }
      return invokeFunction(functionConfig(name, settings, region), handler, event);
    };

    // The table's change stream, emulated (local/change-feed.ts) -> the archive function.
    // Its cleanup is pushed before the event sources', so it runs after they stopped: the
    // last writes are archived too.
    const changeFeed = new ChangeFeed({
      tableName: resources.tableName,
      tableArn: `arn:aws:dynamodb:${region}:000000000000:table/${resources.tableName}`,
      region,
      batchSize: settings.archiveBatchSize,
      batchingWindowSeconds: settings.archiveBatchingWindowSeconds,
      invoke: (event) => invoke("archive", event),
      logger: log.child("archive"),
    });
    changeFeed.install(handlerClients.dynamodb);
    changeFeed.start();
    cleanups.push(() => changeFeed.stop(lifecycle.stopDeadline));
    // The stack's daily compaction schedule, locally hourly (older days only).
    const compaction = setInterval(() => void invoke("archive", { compact: true }), 3_600_000);
    compaction.unref();
    cleanups.push(() => clearInterval(compaction));
    // The splitter's schedule (staged batch files -> by tenant), as on AWS: every
    // archiveSplitMinutes, one invocation per shard.
    const splitter = setInterval(() => {
      for (let shard = 0; shard < settings.archiveSplitShards; shard++) {
        void invoke("archive", splitEvent(settings, shard));
      }
    }, settings.archiveSplitMinutes * 60_000);
    splitter.unref();
    cleanups.push(() => clearInterval(splitter));

    // Event sources.
    const eventSources = startEventSources({
      sqs,
      deliverySqs,
      // The embedded SQS: the pollers skip HTTP (on AWS that polling is Lambda's, not ours).
      ...(emulators?.sqsDirect && endpoints.embeddedSqs ? { direct: emulators.sqsDirect } : {}),
      resources,
      settings,
      region,
      logger: log.child("sqs"),
      invokeProcess: (event) => invoke("process", event),
      invokeDlq: (event) => invoke("dlq", event),
      invokeJobs: (event) => invoke("jobs", event),
      invokeDeliver: (event) => invoke("deliver", event),
    });
    cleanups.push(() => eventSources.stop(lifecycle.stopDeadline));
    // Schedules: the windows and patterns sweep.
    const sweep = startSweepSchedule({
      intervalSeconds: settings.windowSweepSeconds,
      invoke: (event) => invoke("sweep", event),
      logger: log.child("sweep"),
    });
    cleanups.push(() => sweep.stop());

    // The API.
    const gateway = stackApi({
      settings,
      region,
      invoke: (route, event) => invoke(route.function, event),
      invokeAuthorizer: (event) => invoke("authorizer", event),
      logger: log,
      ...(options.integrationTimeoutMs
        ? { integrationTimeoutMs: options.integrationTimeoutMs }
        : {}),
    });

    const admin = new LocalAdmin({
      faults,
      outbox,
      metrics,
      devKey: devKey.key,
      host: options.host,
      status: async () => ({
        state: lifecycle.state,
        settings,
        resources,
        endpoints,
        dataDir,
        queues: {
          queue: await queueDepth(sqs, resources.queueUrl),
          dlq: await queueDepth(sqs, resources.dlqUrl),
          deliveries: await queueDepth(sqs, resources.deliveryQueueUrl),
          orderedDeliveries: await queueDepth(sqs, resources.deliveryFifoQueueUrl),
          deliveryDlq: await queueDepth(sqs, resources.deliveryDlqUrl),
          jobs: await queueDepth(sqs, resources.jobsQueueUrl),
          jobsDlq: await queueDepth(sqs, resources.jobsDlqUrl),
        },
        pollers: {
          process: eventSources.process.stats,
          dlq: eventSources.dlq.stats,
          jobs: eventSources.jobs.stats,
          deliver: eventSources.deliveries.stats,
          deliverOrdered: eventSources.orderedDeliveries.stats,
        },
        archive: changeFeed.stats,
        faults: faults.snapshot(),
        // Anything added to a built-in prototype since start-up (prototype pollution).
        prototypeAdditions: prototypeAdditions(),
      }),
    });

    let port = 0;
    const { server, activeRequests } = createRuntimeServer({
      admin,
      gateway,
      state: () => lifecycle.state,
      port: () => port,
      logger: log,
    });
    await listen(server, options.port, options.host);
    cleanups.push(() => closeServer(server));
    const bound = boundAddress(server);
    port = bound.port;
    await assertBound("the API server", bound.address, options.host);
    if (!isLoopbackAddress(bound.address)) {
      log.warn(
        `listening on ${bound.address}, not loopback: every machine that can reach it can call the API and read /_local/status; the development key and /_local/ changes stay loopback-only`,
        { host: options.host },
      );
    }
    const url = `http://${displayHost(options.host)}:${port}`;
    if (dataDir) {
      // Where `npm run keys` finds this runtime's keys table (local/keys.ts).
      cleanups.push(
        writeRuntimeInfo(dataDir, {
          pid: process.pid,
          url,
          region,
          dynamodbEndpoint: endpoints.dynamodb,
          keysTableName: resources.keysTableName,
          startedAt: new Date().toISOString(),
          ...(resources.archiveFileRoot ? { archiveFileRoot: resources.archiveFileRoot } : {}),
        }),
      );
    }

    const shutdown = (opts: { drain?: boolean } = {}): Promise<ShutdownReport> =>
      lifecycle.shutdown(opts, {
        drainTimeoutSeconds: options.drainTimeoutSeconds ?? 30,
        persistent: dataDir !== null,
        work: {
          pending: async (deadline) => {
            const [queue, dlq] = await Promise.all([
              pendingMessages(
                sqs,
                emulators,
                { url: resources.queueUrl, name: DEFAULT_RESOURCE_NAMES.queueName },
                deadline,
              ),
              pendingMessages(
                sqs,
                emulators,
                { url: resources.dlqUrl, name: DEFAULT_RESOURCE_NAMES.dlqName },
                deadline,
              ),
            ]);
            return { queue, dlq };
          },
          activeRequests,
          pollersIdle: () => eventSources.idle() && changeFeed.idle,
        },
      });

    return {
      url,
      port,
      host: options.host,
      boundAddress: bound.address,
      dataDir,
      settings,
      resources,
      endpoints,
      faults,
      metrics,
      devKey: devKey.key,
      ...(devKey.file ? { devKeyFile: devKey.file } : {}),
      shutdown,
    };
  } catch (error) {
    await lifecycle.cleanup();
    throw error;
  }
}
