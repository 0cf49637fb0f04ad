/**
 * The functions of the platform and the routes they serve: one definition used by
 * the CDK stack (to create functions, the API and their environment) and by the
 * local runtime (to invoke the same handlers with the same environment).
 */
// Types only: the settings schema (zod, ~150 settings) stays out of the function bundles,
// which import ROUTES from here (issue 20, cold start).
import type { EventFlowSettings } from "../config.js";
import { ENV } from "./environment.js";
import { OBSERVABILITY } from "./observability.js";

/**
 * The canary function's timeout: its deadline plus room to get its key, send, and flush
 * its metrics, so a run that misses the deadline still reports (never a Lambda timeout).
 */
export const CANARY_TIMEOUT_MARGIN_SECONDS = 15;

/** The archive function also compacts (a daily schedule): it gets the longest Lambda timeout. */
export const ARCHIVE_TIMEOUT_SECONDS = 900;

export function canaryTimeoutSeconds(s: EventFlowSettings): number {
  return s.canaryDeadlineSeconds + CANARY_TIMEOUT_MARGIN_SECONDS;
}

/** The platform's functions: always deployed, and run by the local runtime. */
export type FunctionName =
  | "ingest"
  | "query"
  | "process"
  | "dlq"
  | "replay"
  | "authorizer"
  | "archive"
  | "history"
  | "jobs"
  | "schemas"
  | "rules"
  | "destinations"
  | "deliver"
  | "windows"
  | "sweep";

/**
 * Functions a setting turns on, deployed only then; the local runtime does not run them.
 * The synthetic canary (canaryIntervalMinutes) calls a deployed API from outside.
 */
export type OptionalFunctionName = "canary";
export type AnyFunctionName = FunctionName | OptionalFunctionName;

/**
 * Entry modules, relative to the repository root; each exports `handler`, built by the
 * factory in lambdas/handlers/<name>.ts from process.env and default SDK clients.
 */
export const FUNCTION_ENTRIES: Record<FunctionName, string> = {
  ingest: "lambdas/entry/ingest.ts",
  query: "lambdas/entry/query.ts",
  process: "lambdas/entry/process.ts",
  dlq: "lambdas/entry/dlq.ts",
  replay: "lambdas/entry/replay.ts",
  // The API's Lambda (REQUEST) authorizer: API key -> tenant, scopes, usage plan key.
  authorizer: "lambdas/entry/authorizer.ts",
  // History (README "History"): the table's change stream -> Parquet in the archive bucket,
  // and the daily compaction of older days.
  archive: "lambdas/entry/archive.ts",
  // The history API: exports, replays, erasures (jobs it queues for `jobs`).
  history: "lambdas/entry/history.ts",
  // Runs the history jobs from their queue, a bounded slice per message.
  jobs: "lambdas/entry/jobs.ts",
  // The schema registry's API (lambdas/handlers/schemas.ts).
  schemas: "lambdas/entry/schemas.ts",
  // The destinations and deliveries API (destinations, the delivery log, retry, replay).
  destinations: "lambdas/entry/destinations.ts",
  // Consumes the delivery queues: webhooks, Slack, email, SQS, SNS, EventBridge.
  deliver: "lambdas/entry/deliver.ts",
  // A tenant's rules: GET/PUT/DELETE /v1/rules, POST /v1/rules/test.
  rules: "lambdas/entry/rules.ts",
  // Windows and patterns: declarations and results over the API...
  windows: "lambdas/entry/windows.ts",
  // ...and the scheduled sweep that closes windows, fires absence timers and emits.
  sweep: "lambdas/entry/sweep.ts",
};

export const OPTIONAL_FUNCTION_ENTRIES: Record<OptionalFunctionName, string> = {
  canary: "lambdas/entry/canary.ts",
};

/** The handler file of any function, platform or optional. */
export const entryOf = (name: AnyFunctionName): string =>
  name === "canary" ? OPTIONAL_FUNCTION_ENTRIES[name] : FUNCTION_ENTRIES[name];

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What an API key may do; a key carries any of these (lambdas/domain/api-keys.ts). */
export const SCOPES = [
  "events:write",
  "events:read",
  "history:read",
  "admin",
  "schemas:write",
  "rules:write",
  "destinations:write",
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What a route asks of the caller's key: one scope, or `authenticated` (any valid key,
 * whatever its scopes). Read by the stack (every method has the authorizer), by the
 * authorizer (the policy it returns lists the routes a key's scopes open) and by the
 * handlers (which check again), locally and on AWS.
 */
export type RouteScope = Scope | "authenticated";

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path; `{name}` is a path parameter. */
  path: string;
  function: FunctionName;
  scope: RouteScope;
}

export const API_PREFIX = "/v1";

export const ROUTES: readonly Route[] = [
  { method: "POST", path: "/v1/events", function: "ingest", scope: "events:write" },
  { method: "GET", path: "/v1/events", function: "query", scope: "events:read" },
  { method: "GET", path: "/v1/events/{id}", function: "query", scope: "events:read" },
  { method: "GET", path: "/v1/stats", function: "query", scope: "events:read" },
  // Any valid key: a producer with only events:write can check the platform is up.
  { method: "GET", path: "/v1/health", function: "query", scope: "authenticated" },
  // The OpenAPI 3.1 description of these routes (lambdas/http/openapi-document.ts).
  { method: "GET", path: "/v1/openapi.json", function: "query", scope: "authenticated" },
  { method: "GET", path: "/v1/failed", function: "query", scope: "events:read" },
  // Replay changes state for the whole tenant: admin only.
  { method: "POST", path: "/v1/failed/replay", function: "replay", scope: "admin" },
  // History (README "History"): exports read the archive; replays and erasure change state.
  { method: "POST", path: "/v1/exports", function: "history", scope: "history:read" },
  { method: "GET", path: "/v1/exports", function: "history", scope: "history:read" },
  { method: "GET", path: "/v1/exports/{id}", function: "history", scope: "history:read" },
  { method: "POST", path: "/v1/replays", function: "history", scope: "admin" },
  { method: "GET", path: "/v1/replays", function: "history", scope: "admin" },
  { method: "GET", path: "/v1/replays/{id}", function: "history", scope: "admin" },
  { method: "DELETE", path: "/v1/replays/{id}", function: "history", scope: "admin" },
  { method: "DELETE", path: "/v1/subjects/{subject}", function: "history", scope: "admin" },
  {
    method: "GET",
    path: "/v1/subjects/{subject}/export",
    function: "history",
    scope: "history:read",
  },
  { method: "GET", path: "/v1/erasures", function: "history", scope: "admin" },
  { method: "GET", path: "/v1/erasures/{id}", function: "history", scope: "admin" },
  // The schema registry: reading needs events:read, changing schemas:write.
  { method: "GET", path: "/v1/schemas", function: "schemas", scope: "events:read" },
  { method: "GET", path: "/v1/schemas/{type}", function: "schemas", scope: "events:read" },
  { method: "PUT", path: "/v1/schemas/{type}", function: "schemas", scope: "schemas:write" },
  { method: "DELETE", path: "/v1/schemas/{type}", function: "schemas", scope: "schemas:write" },
  {
    method: "GET",
    path: "/v1/schemas/{type}/versions/{version}",
    function: "schemas",
    scope: "events:read",
  },
  { method: "POST", path: "/v1/schemas/{type}/check", function: "schemas", scope: "events:read" },
  { method: "GET", path: "/v1/schemas/{type}/inferred", function: "schemas", scope: "events:read" },
  { method: "GET", path: "/v1/schema-settings", function: "schemas", scope: "events:read" },
  { method: "PUT", path: "/v1/schema-settings", function: "schemas", scope: "schemas:write" },
  // Destinations: creating, changing, retrying and replaying send the tenant's events out of
  // the platform (and mint signing secrets): destinations:write. Reading them (secrets never
  // included, header values masked) and the delivery log is what a read-only key watches:
  // events:read.
  {
    method: "POST",
    path: "/v1/destinations",
    function: "destinations",
    scope: "destinations:write",
  },
  { method: "GET", path: "/v1/destinations", function: "destinations", scope: "events:read" },
  { method: "GET", path: "/v1/destinations/{id}", function: "destinations", scope: "events:read" },
  {
    method: "PATCH",
    path: "/v1/destinations/{id}",
    function: "destinations",
    scope: "destinations:write",
  },
  {
    method: "DELETE",
    path: "/v1/destinations/{id}",
    function: "destinations",
    scope: "destinations:write",
  },
  {
    method: "POST",
    path: "/v1/destinations/{id}/rotate-secret",
    function: "destinations",
    scope: "destinations:write",
  },
  {
    method: "POST",
    path: "/v1/destinations/{id}/replay",
    function: "destinations",
    scope: "destinations:write",
  },
  { method: "GET", path: "/v1/deliveries", function: "destinations", scope: "events:read" },
  { method: "GET", path: "/v1/deliveries/{id}", function: "destinations", scope: "events:read" },
  {
    method: "POST",
    path: "/v1/deliveries/{id}/retry",
    function: "destinations",
    scope: "destinations:write",
  },
  // Rules: read (and dry runs, which store and send nothing) with events:read; changes
  // with rules:write.
  { method: "GET", path: "/v1/rules", function: "rules", scope: "events:read" },
  { method: "PUT", path: "/v1/rules", function: "rules", scope: "rules:write" },
  { method: "DELETE", path: "/v1/rules", function: "rules", scope: "rules:write" },
  { method: "POST", path: "/v1/rules/test", function: "rules", scope: "events:read" },
  // Windows and patterns: declaring is admin (it changes what every event costs), reading
  // results is events:read.
  { method: "GET", path: "/v1/aggregations", function: "windows", scope: "events:read" },
  { method: "PUT", path: "/v1/aggregations/{name}", function: "windows", scope: "admin" },
  { method: "GET", path: "/v1/aggregations/{name}", function: "windows", scope: "events:read" },
  { method: "DELETE", path: "/v1/aggregations/{name}", function: "windows", scope: "admin" },
  {
    method: "POST",
    path: "/v1/aggregations/{name}/backfill",
    function: "windows",
    scope: "admin",
  },
  { method: "GET", path: "/v1/patterns", function: "windows", scope: "events:read" },
  { method: "PUT", path: "/v1/patterns/{name}", function: "windows", scope: "admin" },
  { method: "GET", path: "/v1/patterns/{name}", function: "windows", scope: "events:read" },
  { method: "DELETE", path: "/v1/patterns/{name}", function: "windows", scope: "admin" },
];

/** Whether a key with these scopes may call a route. */
export const scopeAllows = (scopes: readonly string[], required: RouteScope): boolean =>
  required === "authenticated" || scopes.includes(required);

/** Names (or CDK tokens) of the resources a function's environment points at. */
export interface ResourceRefs {
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  keysTableName: string;
  /** Tenant configuration (CONFIG_TABLE): schemas, rules, destinations, aggregations. */
  configTableName: string;
  /**
   * The page cursors' HMAC key: a Secrets Manager secret generated at deploy (its ARN), or
   * the local runtime's own key (kept in its data folder).
   */
  cursorSecretId: string;
  /** The archive bucket (history: events as Parquet, exports). */
  archiveBucketName: string;
  /** The history jobs' queue (exports, replays, erasures). */
  jobsQueueUrl: string;
  /**
   * Local runtime only: the folder where the emulated S3 keeps the archive bucket's objects,
   * so an export can also be named as a file URL.
   */
  archiveFileRoot?: string;
  /** The delivery queues: standard (unordered destinations), FIFO (ordered), and their DLQ. */
  deliveryQueueUrl: string;
  deliveryFifoQueueUrl: string;
  deliveryDlqUrl: string;
  /** The deliveries log (DELIVERIES_TABLE). */
  deliveriesTableName: string;
  /** The key that encrypts destinations' signing secrets at rest (a Secrets Manager ARN). */
  destinationSecretId: string;
}

/** The environment each function gets, identical in AWS and in the local runtime. */
export function functionEnvironment(
  name: AnyFunctionName,
  settings: EventFlowSettings,
  refs: ResourceRefs,
): Record<string, string> {
  const base: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: OBSERVABILITY.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: "INFO",
    NODE_OPTIONS: "--enable-source-maps",
  };
  // The authorizer reads API keys and nothing else: it is not told where events are.
  if (name === "authorizer") return { ...base, [ENV.keysTableName]: refs.keysTableName };
  // The canary calls the public API like any producer; it writes its own short-lived key
  // to the keys table and touches no event, queue or table of events directly. The API's
  // URL and its usage plan key are bound by the canary construct (EventFlowFunction.bind*).
  if (name === "canary") {
    return {
      ...base,
      [ENV.keysTableName]: refs.keysTableName,
      [ENV.canaryDeadlineSeconds]: String(settings.canaryDeadlineSeconds),
    };
  }
  const common: Record<string, string> = { ...base, [ENV.tableName]: refs.tableName };
  // The API functions answer browsers themselves (a Lambda proxy answer carries only the
  // headers its function sets): they get the allowed origins when CORS is on.
  const api: Record<string, string> =
    settings.corsOrigins.length > 0
      ? { ...common, [ENV.corsOrigins]: settings.corsOrigins.join(",") }
      : common;
  // Ingest and replay enforce schemas: they read the registry, cached this long.
  const schemas = {
    [ENV.configTableName]: refs.configTableName,
    [ENV.schemaCacheSeconds]: String(settings.schemaCacheSeconds),
  };
  switch (name) {
    case "ingest":
      return { ...api, ...schemas, [ENV.queueUrl]: refs.queueUrl };
    case "query":
      return {
        ...api,
        [ENV.cursorSecretId]: refs.cursorSecretId,
        [ENV.queueUrl]: refs.queueUrl,
        [ENV.dlqUrl]: refs.dlqUrl,
        // GET /v1/openapi.json?include=schemas lists the tenant's registered types.
        [ENV.configTableName]: refs.configTableName,
        ...shardEnvironment(settings),
      };
    case "process":
      return {
        ...common,
        // Reads the tenant's rules (RULE# items), cached rulesCacheSeconds.
        [ENV.configTableName]: refs.configTableName,
        [ENV.rulesCacheSeconds]: String(settings.rulesCacheSeconds),
        // ChangeMessageVisibility (retry backoff) needs the queue URL; the record's ARN
        // does not give the URL of an emulator or LocalStack queue.
        [ENV.queueUrl]: refs.queueUrl,
        [ENV.maxReceiveCount]: String(settings.maxReceiveCount),
        [ENV.retryBaseDelaySeconds]: String(settings.retryBaseDelaySeconds),
        [ENV.retryMaxDelaySeconds]: String(settings.retryMaxDelaySeconds),
        [ENV.eventRetentionDays]: String(settings.eventRetentionDays),
        ...shardEnvironment(settings),
        // A rule's route enqueues deliveries (DeliveryQueue, adapters/sqs-delivery-queue.ts);
        // the destinations' `ordered` setting is read from the configuration table too.
        ...deliveryQueues(refs),
        ...windowEnvironment(settings, refs),
      };
    case "dlq":
      return {
        ...common,
        // Unreadable messages are parked in the DLQ with ChangeMessageVisibility.
        [ENV.dlqUrl]: refs.dlqUrl,
        [ENV.maxReceiveCount]: String(settings.maxReceiveCount),
        [ENV.eventRetentionDays]: String(settings.eventRetentionDays),
        ...shardEnvironment(settings),
        // A dead-lettered message whose event was stored processed still contributes.
        ...windowEnvironment(settings, refs),
      };
    case "rules":
      // Reads and writes the tenant's rules; reads recent events for dry runs (by type,
      // through the events reader, whose page cursors it signs).
      return {
        ...api,
        [ENV.configTableName]: refs.configTableName,
        ...shardEnvironment(settings),
        [ENV.cursorSecretId]: refs.cursorSecretId,
      };
    case "windows":
      // Declarations (config table), results (contributions in the events table), backfill
      // (reads stored events, writes contributions).
      return {
        ...api,
        ...windowEnvironment(settings, refs),
        ...shardEnvironment(settings),
        [ENV.cursorSecretId]: refs.cursorSecretId,
      };
    case "sweep":
      // Reads declarations and contributions, emits derived events into the events queue.
      return { ...common, ...windowEnvironment(settings, refs), [ENV.queueUrl]: refs.queueUrl };
    case "replay":
      // Reads the failed list, arms failed records, sends to the main queue.
      return {
        ...api,
        ...schemas,
        [ENV.queueUrl]: refs.queueUrl,
        ...shardEnvironment(settings),
        [ENV.cursorSecretId]: refs.cursorSecretId,
      };
    case "archive":
      // Reads only its stream records; writes and compacts the archive's objects.
      return { ...base, [ENV.archiveBucket]: refs.archiveBucketName };
    case "history":
      return {
        ...api,
        ...historyCommon(settings, refs),
        [ENV.exportUrlSeconds]: String(settings.exportUrlSeconds),
      };
    case "jobs":
      return {
        ...common,
        ...historyCommon(settings, refs),
        // Replays send to the events queue like ingest does, to one destination through the
        // delivery queues, to one aggregation as contributions (windows' stores); erasure
        // also clears the deliveries log and contributions.
        [ENV.queueUrl]: refs.queueUrl,
        [ENV.erasureSettleSeconds]: String(settings.erasureSettleSeconds),
        [ENV.archiveStagedWaitSeconds]: String(stagedWaitSeconds(settings)),
        [ENV.deliveryQueueUrl]: refs.deliveryQueueUrl,
        [ENV.deliveryFifoQueueUrl]: refs.deliveryFifoQueueUrl,
        [ENV.deliveriesTableName]: refs.deliveriesTableName,
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
        ...windowEnvironment(settings, refs),
      };
    case "schemas":
      // The registry (configuration table), and the events of a type to infer a schema from.
      return {
        ...api,
        [ENV.configTableName]: refs.configTableName,
        ...shardEnvironment(settings),
        [ENV.cursorSecretId]: refs.cursorSecretId,
      };
    case "destinations":
      // Destinations (config table), the deliveries log, replay (reads events, enqueues).
      return {
        ...api,
        ...deliveryQueues(refs),
        [ENV.configTableName]: refs.configTableName,
        [ENV.deliveriesTableName]: refs.deliveriesTableName,
        [ENV.destinationSecretId]: refs.destinationSecretId,
        [ENV.cursorSecretId]: refs.cursorSecretId,
        ...shardEnvironment(settings),
        [ENV.deliveryAllowLoopback]: String(settings.deliveryAllowLoopback),
        [ENV.deliveryTargetPrefix]: settings.deliveryTargetPrefix,
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
      };
    case "deliver":
      return {
        ...base,
        ...deliveryQueues(refs),
        // The routable eventflow.destination.disabled event goes to the events queue.
        [ENV.queueUrl]: refs.queueUrl,
        [ENV.configTableName]: refs.configTableName,
        [ENV.deliveriesTableName]: refs.deliveriesTableName,
        [ENV.destinationSecretId]: refs.destinationSecretId,
        [ENV.deliveryRetrySchedule]: settings.deliveryRetrySchedule,
        [ENV.deliveryConnectTimeoutMs]: String(settings.deliveryConnectTimeoutMs),
        [ENV.deliveryResponseTimeoutMs]: String(settings.deliveryResponseTimeoutMs),
        [ENV.deliveryDisableAfterSeconds]: String(settings.deliveryDisableAfterSeconds),
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
        [ENV.deliveryAllowLoopback]: String(settings.deliveryAllowLoopback),
        [ENV.destinationMaxConcurrency]: String(settings.destinationMaxConcurrency),
        [ENV.deliveryEmailFrom]: settings.deliveryEmailFrom,
        [ENV.deliveryTargetPrefix]: settings.deliveryTargetPrefix,
      };
  }
}

/**
 * How long an export or replay waits for the splitter to file the staged files it must not
 * read (README "History"): three of its runs, and the longest one may take.
 */
export const stagedWaitSeconds = (settings: EventFlowSettings) =>
  3 * settings.archiveSplitMinutes * 60 + ARCHIVE_TIMEOUT_SECONDS;

function historyCommon(settings: EventFlowSettings, refs: ResourceRefs): Record<string, string> {
  return {
    [ENV.configTableName]: refs.configTableName,
    [ENV.archiveBucket]: refs.archiveBucketName,
    [ENV.jobsQueueUrl]: refs.jobsQueueUrl,
    [ENV.replayMaxRate]: String(settings.replayMaxRate),
    [ENV.archiveStagedReadMaxFiles]: String(settings.archiveStagedReadMaxFiles),
    ...(refs.archiveFileRoot ? { [ENV.archiveFileRoot]: refs.archiveFileRoot } : {}),
  };
}

/** History jobs: one slice per invocation, a few at once (exports and erasures are heavy). */
export const JOBS_BATCH_SIZE = 1;
export const JOBS_MAX_CONCURRENCY = 2;
/** Where deliveries are queued (DeliveryQueue): the process, deliver and destinations functions. */
export function deliveryQueues(refs: ResourceRefs): Record<string, string> {
  return {
    [ENV.deliveryQueueUrl]: refs.deliveryQueueUrl,
    [ENV.deliveryFifoQueueUrl]: refs.deliveryFifoQueueUrl,
    [ENV.deliveryDlqUrl]: refs.deliveryDlqUrl,
  };
}

/** What every function that touches windows and patterns reads. */
function windowEnvironment(
  settings: EventFlowSettings,
  refs: ResourceRefs,
): Record<string, string> {
  return {
    [ENV.configTableName]: refs.configTableName,
    [ENV.windowShards]: String(settings.windowShards),
    [ENV.windowSweepSeconds]: String(settings.windowSweepSeconds),
    [ENV.windowFenceSeconds]: String(settings.windowFenceSeconds),
    [ENV.windowConfigCacheSeconds]: String(settings.windowConfigCacheSeconds),
    [ENV.windowRetentionDays]: String(settings.windowRetentionDays),
    [ENV.windowMaxReadItems]: String(settings.windowMaxReadItems),
  };
}

/**
 * The sweep runs once a minute on AWS (an EventBridge rule: rate(1 minute) is the finest
 * schedule) and makes passes every windowSweepSeconds inside that minute.
 */
export const SWEEP_SCHEDULE_MINUTES = 1;
export const sweepTimeoutSeconds = (_s: EventFlowSettings): number =>
  SWEEP_SCHEDULE_MINUTES * 60 + 30;

/** The write-sharding counts (dynamodb-keys.ts): writers and readers must agree on them. */
function shardEnvironment(settings: EventFlowSettings): Record<string, string> {
  return {
    [ENV.timeShards]: String(settings.timeShards),
    [ENV.typeShards]: String(settings.typeShards),
    [ENV.failedShards]: String(settings.failedShards),
    [ENV.statsShards]: String(settings.statsShards),
  };
}

/** The DLQ trickles; two concurrent consumers (the AWS minimum) are plenty. */
export const DLQ_MAX_CONCURRENCY = 2;

export interface FunctionSizing {
  memoryMb: number;
  timeoutSeconds: number;
}

/**
 * Memory and timeout of each function. The DLQ consumer shares the process settings,
 * which dlqVisibilityTimeoutSeconds() in config.ts relies on.
 */
/** The canary waits on the network; it needs no more memory than the SDK's start-up takes. */
export const CANARY_MEMORY_MB = 256;

export function functionSizing(name: AnyFunctionName, s: EventFlowSettings): FunctionSizing {
  switch (name) {
    // The authorizer sits in front of every uncached API call, like ingest: latency-bound,
    // one GetItem per call.
    case "ingest":
    case "authorizer":
      return { memoryMb: s.ingestMemoryMb, timeoutSeconds: s.ingestTimeoutSeconds };
    // replay is an API function like query, bounded by API Gateway's 29 s as well; a call
    // replays at most 1000 events (a few index reads, bounded concurrent updates, 100 batches).
    case "query":
    case "replay":
    case "history":
    case "schemas":
    case "destinations":
    case "rules":
      return { memoryMb: s.queryMemoryMb, timeoutSeconds: s.queryTimeoutSeconds };
    case "process":
    case "dlq":
      return { memoryMb: s.processMemoryMb, timeoutSeconds: s.processTimeoutSeconds };
    case "archive":
      return { memoryMb: s.archiveMemoryMb, timeoutSeconds: ARCHIVE_TIMEOUT_SECONDS };
    case "jobs":
      return { memoryMb: s.jobsMemoryMb, timeoutSeconds: s.jobsTimeoutSeconds };
    case "deliver":
      return { memoryMb: s.deliverMemoryMb, timeoutSeconds: s.deliverTimeoutSeconds };
    case "canary":
      return { memoryMb: CANARY_MEMORY_MB, timeoutSeconds: canaryTimeoutSeconds(s) };
    // An API function (API Gateway's 29 s); results merge many contributions in memory.
    case "windows":
      return { memoryMb: s.windowsMemoryMb, timeoutSeconds: s.queryTimeoutSeconds };
    case "sweep":
      return { memoryMb: s.windowsMemoryMb, timeoutSeconds: sweepTimeoutSeconds(s) };
  }
}
