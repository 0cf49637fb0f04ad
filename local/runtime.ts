/**
 * The whole platform in one process: emulators (or external endpoints), the
 * stack's queue, DLQ and table, the REST API and the two SQS event sources,
 * running the same handlers with the same environment and settings as AWS.
 *
 * Each handler is built on first use from its function's own environment record and
 * the clients the runtime gives it (local/functions.ts); process.env is not changed.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, SQSEvent } from "aws-lambda";
import { DynamoDbKeyStore } from "../lambdas/adapters/dynamodb-key-store.js";
import { createDynamoDbClients } from "../lambdas/shared/clients.js";
import { logger } from "../lambdas/shared/powertools.js";
import { createSqsClient } from "../lambdas/shared/sqs-client.js";
import {
  type EventFlowSettings,
  type EventFlowSettingsInput,
  queueVisibilityTimeoutSeconds,
  resolveSettings,
} from "../lib/config.js";
import {
  CDK_DEFAULT_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
  CORS_EXTRA_ALLOW_HEADERS,
} from "../lib/contracts/cors.js";
import {
  DLQ_MAX_CONCURRENCY,
  type FunctionName,
  functionEnvironment,
  ROUTES,
} from "../lib/contracts/functions.js";
import { ApiGateway, type GatewayAnswer, gatewayAnswers, writeAnswer } from "./api-gateway.js";
import { LocalAuthorizer } from "./auth.js";
import { consoleAnswer, devKeyAnswer, isConsolePath } from "./console-server.js";
import { type Emulators, startEmulators } from "./emulators.js";
import { type FaultInput, Faults, faultInputSchema } from "./faults.js";
import {
  FUNCTION_PREFIX,
  functionConfig,
  type HandlerClients,
  type HandlerFactory,
  HandlerLoader,
} from "./functions.js";
import { prototypeAdditions } from "./integrity.js";
import { ensureDevKey, writeRuntimeInfo } from "./keys.js";
import { type InvokeOutcome, invokeFunction } from "./lambda.js";
import { createLogger, type LogLevel, type RuntimeLogger } from "./log.js";
import { MetricsAggregator } from "./metrics.js";
import { captureHandlerOutput, type OutputCapture } from "./output.js";
import { DEFAULT_RESOURCE_NAMES, ensureResources, type LocalResources } from "./resources.js";
import { SqsPoller } from "./sqs-poller.js";

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

export interface ShutdownReport {
  drained: boolean;
  /** Left when the drain ended: receivable, or due back before the drain timeout. */
  remaining: { queue: number; dlq: number; requests: number };
  /** Not waited for: back only after the drain timeout (backoff, parked). */
  later: { queue: number; dlq: number };
  durationMs: number;
}

export interface Runtime {
  url: string;
  port: number;
  host: string;
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

/** A start-up problem worth one clear line (port in use, folder not writable...). */
export class RuntimeStartError extends Error {}

type State = "running" | "draining" | "stopped";

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const json = options.json ?? false;
  const logLevel = options.logLevel ?? "info";
  const log =
    options.logger ?? createLogger({ json, level: logLevel, color: options.color ?? false });
  const settings = resolveSettings(options.settings ?? {});
  const cleanups: (() => Promise<void> | void)[] = [];
  /** Set by shutdown: when the drain must end. */
  let stopDeadline = Number.POSITIVE_INFINITY;
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        log.debug("cleanup step failed", { error: String(error) });
      }
    }
  };

  try {
    const dataDir = options.dataDir ? resolve(options.dataDir) : null;
    if (dataDir) {
      cleanups.push(lockDataDir(dataDir));
      // After the lock: never wipe a folder another runtime is using.
      if (options.reset) {
        for (const sub of ["sqs", "dynamodb"]) {
          rmSync(join(dataDir, sub), { recursive: true, force: true });
        }
      }
    }

    // Endpoints: external ones when the SDK's own variables name them.
    const externalSqs = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || undefined;
    const externalDynamodb = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined;
    let emulators: Emulators | undefined;
    if (!externalSqs || !externalDynamodb) {
      emulators = await startEmulators({
        ...(dataDir ? { dataDir } : {}),
        sqs: !externalSqs,
        dynamodb: !externalDynamodb,
        // Their own event loop, so the handlers and the emulators use both cores.
        thread: options.emulatorThread ?? true,
      });
      const started = emulators;
      cleanups.push(() => started.stop());
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
    cleanups.push(() => {
      dynamodb.destroy();
      sqs.destroy();
    });
    const resources = await ensureResources({ dynamodb, sqs }, settings, DEFAULT_RESOURCE_NAMES);
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
    // The functions' own clients (not the pollers'), with the DynamoDB faults on them.
    const handlerClients: HandlerClients = {
      ...createDynamoDbClients({ endpoint: endpoints.dynamodb, region, credentials }),
      sqs: createSqsClient({ endpoint: endpoints.sqs, region, credentials }),
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

    // Event sources.
    const pollerLog = log.child("sqs");
    const processPoller = new SqsPoller({
      name: "process",
      sqs,
      queueUrl: resources.queueUrl,
      queueArn: resources.queueArn,
      region,
      batchSize: settings.processBatchSize,
      maxBatchingWindowSeconds: settings.processMaxBatchingWindowSeconds,
      maxConcurrency: settings.processMaxConcurrency,
      logger: pollerLog,
      invoke: (event: SQSEvent) => invoke("process", event),
    });
    const dlqPoller = new SqsPoller({
      name: "dlq",
      sqs,
      queueUrl: resources.dlqUrl,
      queueArn: resources.dlqArn,
      region,
      batchSize: settings.dlqBatchSize,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: DLQ_MAX_CONCURRENCY,
      deadLetterSourceArn: resources.queueArn,
      logger: pollerLog,
      invoke: (event: SQSEvent) => invoke("dlq", event),
    });
    processPoller.start();
    dlqPoller.start();
    cleanups.push(async () => {
      // In-flight batches end by their function timeout at the latest; the drain
      // timeout bounds the wait too (an abandoned batch returns after its visibility).
      const grace = Math.max(1_000, stopDeadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([processPoller.stop(), dlqPoller.stop()]),
        new Promise((r) => {
          timer = setTimeout(r, grace);
        }),
      ]);
      clearTimeout(timer);
    });

    // The API.
    const gateway = new ApiGateway({
      routes: ROUTES,
      invoke: (route, event: APIGatewayProxyEvent) => invoke(route.function, event),
      throttle: {
        rateLimit: settings.apiThrottleRateLimit,
        burstLimit: settings.apiThrottleBurstLimit,
      },
      ...(settings.corsOrigins.length > 0
        ? {
            // Mirrors defaultCorsPreflightOptions in lib/constructs/api.ts.
            cors: {
              allowOrigins: settings.corsOrigins,
              allowMethods: [...new Set(ROUTES.map((r) => r.method))],
              allowHeaders: [...CDK_DEFAULT_ALLOW_HEADERS, ...CORS_EXTRA_ALLOW_HEADERS],
              exposeHeaders: [...CORS_EXPOSE_HEADERS],
            },
          }
        : {}),
      logger: log.child("api"),
      region,
      // The stack's key authorizer (cached per Authorization value) and usage plan.
      auth: new LocalAuthorizer({
        invoke: (event) => invoke("authorizer", event),
        cacheTtlSeconds: settings.authorizerCacheSeconds,
        limits: {
          rateLimit: settings.tenantRateLimit,
          burstLimit: settings.tenantBurstLimit,
          quotaPerDay: settings.tenantQuotaPerDay,
        },
        logger: log.child("auth"),
      }),
      ...(options.integrationTimeoutMs
        ? { integrationTimeoutMs: options.integrationTimeoutMs }
        : {}),
    });

    let state: State = "running";
    let activeRequests = 0;
    const depth = async (url: string) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    };
    const total = (d: { visible: number; inFlight: number; delayed: number }) =>
      d.visible + d.inFlight + d.delayed;

    const admin = new LocalAdmin({
      faults,
      metrics,
      devKey: devKey.key,
      status: async () => ({
        state,
        settings,
        resources,
        endpoints,
        dataDir,
        queues: { queue: await depth(resources.queueUrl), dlq: await depth(resources.dlqUrl) },
        pollers: { process: processPoller.stats, dlq: dlqPoller.stats },
        faults: faults.snapshot(),
        // Anything added to a built-in prototype since start-up (prototype pollution).
        prototypeAdditions: prototypeAdditions(),
      }),
    });

    const server = createServer((req, res) => {
      activeRequests++;
      res.on("close", () => activeRequests--);
      if (state !== "running") {
        writeAnswer(res, gateway.withCors(req, gatewayAnswers.shuttingDown(randomUUID())));
        return;
      }
      void route(req, res).catch((error: unknown) => {
        log.error("request failed", { error: String(error) });
        if (!res.headersSent) {
          writeAnswer(res, gateway.withCors(req, gatewayAnswers.internalError(randomUUID())));
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    const route = async (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const answer = path.startsWith("/_local/")
        ? await admin.handle(req, path)
        : isConsolePath(path)
          ? await consoleAnswer(req, path)
          : await gateway.handle(req, port);
      writeAnswer(res, answer);
    };
    await listen(server, options.port, options.host);
    cleanups.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const displayHost =
      options.host === "127.0.0.1" || options.host === "0.0.0.0" || options.host === "::"
        ? "localhost"
        : options.host.includes(":")
          ? `[${options.host}]`
          : options.host;
    const url = `http://${displayHost}:${port}`;
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
        }),
      );
    }

    /**
     * Messages the drain must wait for: receivable now, or back before the deadline
     * (a retry backoff). With the embedded SQS each message's return time is known,
     * so one parked for hours does not hold every shutdown for the whole timeout.
     */
    const pending = async (url: string, name: string, deadline: number) => {
      const timeline = await emulators?.inspectQueue?.(name);
      if (timeline) {
        const due = timeline.returnsAt.filter((t) => t <= deadline).length;
        return { due: timeline.ready + due, later: timeline.returnsAt.length - due };
      }
      const d = await depth(url);
      return { due: total(d), later: 0 };
    };

    const shutdown = async (opts: { drain?: boolean } = {}): Promise<ShutdownReport> => {
      const started = Date.now();
      if (state === "stopped") {
        return {
          drained: true,
          remaining: { queue: 0, dlq: 0, requests: 0 },
          later: { queue: 0, dlq: 0 },
          durationMs: 0,
        };
      }
      state = "draining";
      const drainSeconds = options.drainTimeoutSeconds ?? 30;
      const deadline = started + drainSeconds * 1000;
      stopDeadline = deadline;
      let remaining = { queue: 0, dlq: 0, requests: 0 };
      let later = { queue: 0, dlq: 0 };
      let drained = true;
      if (opts.drain ?? true) {
        log.info("shutting down: new requests get 503; draining queued and in-flight work", {
          drainTimeoutSeconds: drainSeconds,
        });
        drained = false;
        let quietChecks = 0;
        while (Date.now() < deadline) {
          const [q, d] = await Promise.all([
            pending(resources.queueUrl, DEFAULT_RESOURCE_NAMES.queueName, deadline).catch(() => ({
              due: -1,
              later: 0,
            })),
            pending(resources.dlqUrl, DEFAULT_RESOURCE_NAMES.dlqName, deadline).catch(() => ({
              due: -1,
              later: 0,
            })),
          ]);
          remaining = { queue: q.due, dlq: d.due, requests: Math.max(0, activeRequests) };
          later = { queue: q.later, dlq: d.later };
          const quiet =
            q.due === 0 &&
            d.due === 0 &&
            remaining.requests === 0 &&
            processPoller.idle &&
            dlqPoller.idle;
          // Twice in a row: a batch may be between its receive and its delete.
          quietChecks = quiet ? quietChecks + 1 : 0;
          if (quietChecks >= 2) {
            drained = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        if (!drained) {
          log.warn(
            dataDir
              ? "drain timed out; what is left stays in the data folder and resumes on the next start"
              : "drain timed out; what is left is lost (--memory)",
            remaining,
          );
        }
        if (later.queue + later.dlq > 0) {
          log.warn(
            dataDir
              ? "messages waiting past the drain timeout (retry backoff or parked) stay in the data folder"
              : "messages waiting past the drain timeout (retry backoff or parked) are lost (--memory)",
            later,
          );
        }
      }
      state = "stopped";
      await cleanup();
      const report = { drained, remaining, later, durationMs: Date.now() - started };
      log.info("stopped", report);
      return report;
    };

    return {
      url,
      port,
      host: options.host,
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
    await cleanup();
    throw error;
  }
}

/** One runtime per data folder: the emulators' files are not safe to share. */
function lockDataDir(dataDir: string): () => void {
  try {
    makeDirs(dataDir);
    const probe = join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    throw new RuntimeStartError(
      `data folder ${dataDir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass --data-dir <folder> or --memory`,
    );
  }
  const lock = join(dataDir, "runtime.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new RuntimeStartError(
        `data folder ${dataDir} is in use by another EventFlow runtime (pid ${pid}); stop it, or pass --data-dir <other folder> or --memory`,
      );
    }
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns on some
 * paths (measured: /proc/<new>), where a plain mkdir fails at once.
 */
function makeDirs(dir: string): void {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) makeDirs(parent);
  if (!existsSync(dir)) mkdirSync(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") {
        reject(
          new RuntimeStartError(
            `port ${port} on ${host} is in use; pass --port <n> (or PORT=<n>), or stop what uses it`,
          ),
        );
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(
          new RuntimeStartError(`cannot listen on host ${host} (${error.code}); check --host`),
        );
      } else if (error.code === "EACCES") {
        reject(
          new RuntimeStartError(`no permission to listen on port ${port}; pick another --port`),
        );
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolvePromise();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}

interface AdminDeps {
  faults: Faults;
  metrics: MetricsAggregator;
  /** Offered to the console (GET /_local/dev-key). */
  devKey?: string;
  status: () => Promise<unknown>;
}

/**
 * `/_local/*`: what only the local runtime has (in AWS these paths are unknown
 * resources: 403). Faults can be flipped while the platform runs.
 */
class LocalAdmin {
  constructor(private readonly deps: AdminDeps) {}

  async handle(req: IncomingMessage, path: string): Promise<GatewayAnswer> {
    const method = req.method ?? "GET";
    const ok = (body: unknown, status = 200): GatewayAnswer => ({
      status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    switch (`${method} ${path}`) {
      case "GET /_local/faults":
        return ok(this.deps.faults.snapshot());
      case "POST /_local/faults":
      case "PUT /_local/faults": {
        let input: unknown;
        try {
          const raw = await readText(req);
          input = raw ? JSON.parse(raw) : {};
        } catch {
          return ok({ message: "body must be JSON" }, 400);
        }
        const parsed = faultInputSchema.safeParse(input);
        if (!parsed.success) {
          return ok(
            {
              message: parsed.error.issues
                .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
                .join("; "),
            },
            400,
          );
        }
        const state = this.deps.faults.update(parsed.data);
        await this.deps.faults.settled();
        return ok(state);
      }
      case "DELETE /_local/faults": {
        const state = this.deps.faults.clear();
        await this.deps.faults.settled();
        return ok(state);
      }
      case "GET /_local/metrics":
        return ok(this.deps.metrics.snapshot());
      case "GET /_local/metrics/series": {
        // Per-second series for the console: ?seconds=120&names=EventsReceived,...
        const query = new URL(req.url ?? "/", "http://local").searchParams;
        const names = query.get("names")?.split(",").filter(Boolean);
        return ok(
          this.deps.metrics.timeSeries({
            seconds: Number(query.get("seconds") ?? 120) || 120,
            ...(names ? { names } : {}),
          }),
        );
      }
      case "GET /_local/dev-key":
        return devKeyAnswer(req, this.deps.devKey);
      case "DELETE /_local/metrics":
        this.deps.metrics.reset();
        return ok(this.deps.metrics.snapshot());
      case "GET /_local/status":
        return ok(await this.deps.status());
      default:
        return ok({ message: `no local endpoint ${method} ${path}` }, 404);
    }
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
