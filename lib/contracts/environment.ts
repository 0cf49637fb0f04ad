/**
 * The names of the environment variables the functions read. The values come from
 * functionEnvironment() in ./functions.ts, on AWS and in the local runtime alike.
 */

/** Environment variables the functions read (validated at cold start by lambdas/shared/env.ts). */
export const ENV = {
  tableName: "EVENTS_TABLE_NAME",
  queueUrl: "EVENTS_QUEUE_URL",
  dlqUrl: "EVENTS_DLQ_URL",
  maxReceiveCount: "MAX_RECEIVE_COUNT",
  retryBaseDelaySeconds: "RETRY_BASE_DELAY_SECONDS",
  retryMaxDelaySeconds: "RETRY_MAX_DELAY_SECONDS",
  eventRetentionDays: "EVENT_RETENTION_DAYS",
  statsShards: "STATS_SHARDS",
  timeShards: "TIME_SHARDS",
  typeShards: "TYPE_SHARDS",
  failedShards: "FAILED_SHARDS",
  keysTableName: "KEYS_TABLE_NAME",
  /** Tenant configuration (schemas, rules, destinations...): CONFIG_TABLE in ./tables.ts. */
  configTableName: "CONFIG_TABLE_NAME",
  /** Ingest and replay: seconds a type's schema settings and latest version are cached. */
  schemaCacheSeconds: "SCHEMA_CACHE_SECONDS",
  /** The process function: seconds a tenant's rules are cached (`rulesCacheSeconds`). */
  rulesCacheSeconds: "RULES_CACHE_SECONDS",
  /** Windows and patterns: settings of the same names in lib/config.ts. */
  windowShards: "WINDOW_SHARDS",
  windowSweepSeconds: "WINDOW_SWEEP_SECONDS",
  windowFenceSeconds: "WINDOW_FENCE_SECONDS",
  windowConfigCacheSeconds: "WINDOW_CONFIG_CACHE_SECONDS",
  windowRetentionDays: "WINDOW_RETENTION_DAYS",
  windowMaxReadItems: "WINDOW_MAX_READ_ITEMS",
  /** The query and replay functions: the id (ARN) of the page cursors' signing key. */
  cursorSecretId: "CURSOR_SECRET_ID",
  /** The API functions: `corsOrigins`, comma-separated; empty: no CORS headers. */
  corsOrigins: "CORS_ALLOWED_ORIGINS",
  /** The canary: the API's base URL (stage included), its usage plan key's id, its deadline. */
  apiUrl: "EVENTFLOW_API_URL",
  canaryUsageKeyId: "CANARY_USAGE_KEY_ID",
  canaryDeadlineSeconds: "CANARY_DEADLINE_SECONDS",
  /** History: the archive bucket, the jobs queue and their settings. */
  archiveBucket: "ARCHIVE_BUCKET",
  jobsQueueUrl: "HISTORY_JOBS_QUEUE_URL",
  /** Local runtime only: where the emulated S3 keeps the archive bucket's objects. */
  archiveFileRoot: "ARCHIVE_FILE_ROOT",
  exportUrlSeconds: "EXPORT_URL_SECONDS",
  replayMaxRate: "REPLAY_MAX_RATE",
  erasureSettleSeconds: "ERASURE_SETTLE_SECONDS",
  /** Readers: the staged-file bound (archiveStagedReadMaxFiles); jobs: how long they wait for the splitter. */
  archiveStagedReadMaxFiles: "ARCHIVE_STAGED_READ_MAX_FILES",
  archiveStagedWaitSeconds: "ARCHIVE_STAGED_WAIT_SECONDS",
  /** Delivery: the queues (standard, FIFO, DLQ), the log, the secrets' key, the settings. */
  deliveryQueueUrl: "DELIVERY_QUEUE_URL",
  deliveryFifoQueueUrl: "DELIVERY_FIFO_QUEUE_URL",
  deliveryDlqUrl: "DELIVERY_DLQ_URL",
  deliveriesTableName: "DELIVERIES_TABLE_NAME",
  destinationSecretId: "DESTINATION_SECRET_ID",
  deliveryRetrySchedule: "DELIVERY_RETRY_SCHEDULE",
  deliveryConnectTimeoutMs: "DELIVERY_CONNECT_TIMEOUT_MS",
  deliveryResponseTimeoutMs: "DELIVERY_RESPONSE_TIMEOUT_MS",
  deliveryDisableAfterSeconds: "DELIVERY_DISABLE_AFTER_SECONDS",
  deliveryRetentionDays: "DELIVERY_RETENTION_DAYS",
  deliveryAllowLoopback: "DELIVERY_ALLOW_LOOPBACK",
  destinationMaxConcurrency: "DESTINATION_MAX_CONCURRENCY",
  deliveryEmailFrom: "DELIVERY_EMAIL_FROM",
  deliveryTargetPrefix: "DELIVERY_TARGET_PREFIX",
} as const;
