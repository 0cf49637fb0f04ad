/**
 * The platform's settings: one definition read by the CDK stack (from CDK context)
 * and by the local runtime (from flags), so both run with the same numbers.
 *
 * Every key can be set with `cdk deploy -c eventflow:<key>=<value>` or in cdk.json
 * under "context". Derived values (the queue's visibility timeout) are computed here,
 * never copied.
 */
import * as z from "zod";
import { invalidCorsOrigin, parseCorsOrigins } from "./contracts/cors.js";
import { parseRetrySchedule } from "./contracts/delivery.js";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Most lanes one list merges: its cursor keeps a position per lane, and 32 positions of
 * 128-character ids make a cursor of about 6.7 KB (the limit is 8 KB, domain/cursor.ts).
 */
export const MAX_LIST_SHARDS = 32;

export const settingsSchema = z
  .object({
    /** Events per process invocation (Lambda allows 1–10 without a batching window, up to 10,000 with one). */
    processBatchSize: intFrom(1, 10_000).default(10),
    /** Seconds Lambda may wait to fill a batch; 0 favours latency, more favours cost. */
    processMaxBatchingWindowSeconds: intFrom(0, 300).default(0),
    /** Upper bound of concurrent process invocations: the scaling knob (AWS minimum 2). */
    processMaxConcurrency: intFrom(2, 1000).default(10),
    processTimeoutSeconds: intFrom(1, 900).default(30),
    processMemoryMb: intFrom(128, 10_240).default(512),
    ingestTimeoutSeconds: intFrom(1, 29).default(10),
    ingestMemoryMb: intFrom(128, 10_240).default(512),
    queryTimeoutSeconds: intFrom(1, 29).default(10),
    queryMemoryMb: intFrom(128, 10_240).default(512),
    /** Receives before SQS moves a message to the DLQ. */
    maxReceiveCount: intFrom(5, 1000).default(5),
    queueRetentionDays: intFrom(1, 14).default(4),
    dlqRetentionDays: intFrom(1, 14).default(14),
    dlqBatchSize: intFrom(1, 10).default(10),
    /** First retry delay of a transient failure; doubles per receive, capped below. */
    retryBaseDelaySeconds: intFrom(0, 900).default(2),
    retryMaxDelaySeconds: intFrom(0, 43_200).default(120),
    /** Days a stored event is kept (DynamoDB TTL); 0 keeps events forever. */
    eventRetentionDays: intFrom(0, 36_500).default(90),
    /**
     * Write sharding (issue 20, `npm run scale`): partitions each hot key family spreads over,
     * so no partition key passes 70% of DynamoDB's 1,000 write units a second. 32 keeps a
     * single tenant's single type at 20,000 events/s (625 per shard) and 100,000 events/s
     * Zipf(1.1) over 1,000 tenants x 50 types within the limit. Reads merge every shard (a
     * list reads timeShards or typeShards partitions; /v1/stats statsShards). Raise freely;
     * never lower one on a deployed table (the higher shards' items would stop being read).
     */
    /**
     * byTime partitions per tenant (lists across types). 0 = the lean profile: no byTime
     * index at all (one write unit less per event); lists then need `type` (or status=failed).
     */
    timeShards: intFrom(0, MAX_LIST_SHARDS).default(32),
    /** byType partitions per tenant and type (lists of one type). */
    typeShards: intFrom(1, MAX_LIST_SHARDS).default(32),
    /**
     * Failed-index partitions per tenant (lists of failed events, the replay of failed
     * events). 8 keeps 2,000 failed events/s of one tenant (10% of the single-tenant mix)
     * near 28% of a partition's write limit; each failed list reads 8 partitions.
     */
    failedShards: intFrom(1, MAX_LIST_SHARDS).default(8),
    /**
     * Capacity of the events table and its indexes: `on-demand` (pay per request) or
     * `provisioned` with target-tracking autoscaling (70% utilization) between the bounds
     * below: about 0.4x the write price at steady load (README "Cost"), but a burst above
     * what autoscaling has reached is throttled (and retried through the queue) for the
     * minutes it takes to scale up.
     */
    eventsTableCapacity: z.enum(["on-demand", "provisioned"]).default("on-demand"),
    eventsTableMinWriteCapacity: intFrom(1, 40_000).default(5),
    eventsTableMaxWriteCapacity: intFrom(1, 40_000).default(4000),
    eventsTableMinReadCapacity: intFrom(1, 40_000).default(5),
    eventsTableMaxReadCapacity: intFrom(1, 40_000).default(4000),
    /** Statistics partitions per tenant; each batch's counters go to a random one. */
    statsShards: intFrom(1, 64).default(32),
    apiThrottleRateLimit: intFrom(1, 1_000_000).default(1000),
    apiThrottleBurstLimit: intFrom(1, 1_000_000).default(2000),
    /**
     * Seconds API Gateway caches the authorizer's answer per Authorization header value
     * (0 = ask the authorizer on every request). `npm run keys -- revoke` and `rotate` flush
     * a deployed stage's cache; otherwise a revoked key can keep working this long, so the
     * default is a minute. No cached answer outlives its key's expiresAt (the functions
     * refuse a key past it, lambdas/shared/http.ts).
     */
    authorizerCacheSeconds: intFrom(0, 3600).default(60),
    /** Per-tenant requests a second (the usage plan's throttle, applied to each tenant's key). */
    tenantRateLimit: intFrom(1, 1_000_000).default(100),
    tenantBurstLimit: intFrom(1, 1_000_000).default(200),
    /** Per-tenant requests a UTC day (the usage plan's quota); 0 sets no quota. */
    tenantQuotaPerDay: intFrom(0, 1_000_000_000).default(1_000_000),
    /**
     * Comma-separated origins (`https://app.example.com`, or `*`) whose pages may call the
     * API; empty leaves CORS off (lib/contracts/cors.ts).
     */
    corsOrigins: z
      .string()
      .default("")
      .transform(parseCorsOrigins)
      .superRefine((origins, ctx) => {
        for (const origin of origins) {
          const problem = invalidCorsOrigin(origin);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }
      }),
    /** Email subscribed to the alarm topic; empty subscribes nobody. */
    alarmEmail: z.string().default(""),
    /** Keep the table (and its data) when the stack is deleted. */
    retainData: z
      .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
      .default(true),
    /** Provisioned concurrency with target tracking on the ingest alias (costs money while idle). */
    ingestProvisionedConcurrency: intFrom(0, 1000).default(0),
    ingestProvisionedConcurrencyMax: intFrom(1, 1000).default(10),
    /**
     * The account's Lambda concurrency quota in this Region (1,000 unless raised): the
     * AccountConcurrencyNearQuota alarm fires at 80% of it.
     */
    lambdaAccountConcurrency: intFrom(10, 1_000_000).default(1000),
    /**
     * Seconds ingest and replay trust what they read of a type's schema (its enforcement
     * mode and latest version) before reading it again: the bound on how long a newly
     * registered version, a changed mode or a deleted type takes to apply, the same locally
     * and on AWS. 0 reads the registry on every request.
     */
    schemaCacheSeconds: intFrom(0, 3600).default(10),
    /**
     * Seconds the process function caches a tenant's rules: a change (PUT/DELETE /v1/rules)
     * applies to every event received this long after it (0: read on every event).
     */
    rulesCacheSeconds: intFrom(0, 300).default(5),
    /** Alarm: rule expressions that failed at run time (RuleErrors) in 5 minutes. */
    alarmRuleErrors: intFrom(1, 1_000_000).default(10),
    /**
     * Windows and patterns (issue 18). Partitions each declaration's contributions are spread
     * over (by event id): peak events/s into one declaration / windowShards must stay under
     * DynamoDB's 1,000 WCU per partition key (16: 10,000 events/s at 625 WCU a key). Read
     * cost grows with it (a read queries every shard). Fixed per declaration version.
     */
    windowShards: intFrom(1, 256).default(16),
    /** Seconds between sweeps (window.closed and pattern.matched emission, absence timers). */
    windowSweepSeconds: intFrom(1, 60).default(10),
    /**
     * Seconds the sweep waits past a close time before reading: covers contribution writes
     * whose clock was read before the close and which land after it (DynamoDB write latency,
     * bounded by the SDK's timeouts). Emission lag = allowed lateness + fence + <= one sweep.
     */
    windowFenceSeconds: intFrom(0, 300).default(5),
    /** Seconds the process function caches a tenant's declarations (a change applies within it). */
    windowConfigCacheSeconds: intFrom(0, 3600).default(10),
    /** Days contributions are kept after their event time (TTL); results older than this go. */
    windowRetentionDays: intFrom(1, 3650).default(7),
    /** Contributions one results request or sweep pass may read for one declaration. */
    windowMaxReadItems: intFrom(100, 10_000_000).default(200_000),
    windowsMemoryMb: intFrom(128, 10_240).default(1024),
    /** Alarm thresholds. */
    alarmQueueAgeSeconds: intFrom(1, 1_209_600).default(300),
    alarmApiLatencyP99Ms: intFrom(1, 29_000).default(1000),
    alarmEndToEndP99Ms: intFrom(1, 3_600_000).default(5000),
    /** Windows and patterns: p99 lag of derived events behind their deadline (seconds). */
    alarmWindowLagSeconds: intFrom(1, 86_400).default(300),
    alarmApi5xxRatePercent: z.coerce.number().min(0).max(100).default(1),
    /**
     * Synthetic canary (lib/constructs/canary.ts): minutes between runs, each sending one
     * marked event through the public API and reading it back; 0 deploys no canary.
     */
    canaryIntervalMinutes: intFrom(0, 60).default(0),
    /** Seconds a canary run waits for its event to be processed before it counts as failed. */
    canaryDeadlineSeconds: intFrom(5, 600).default(30),
    /** Canary alarm: end-to-end time of a run (API accept to processed, as a client sees it). */
    alarmCanaryLatencyMs: intFrom(1, 600_000).default(10_000),
    /**
     * History (issue 19, README "History"). The archive function reads the events table's
     * change stream in batches of up to this many records (DynamoDB Streams allow 10,000)...
     */
    archiveBatchSize: intFrom(1, 10_000).default(1000),
    /** ...waiting at most this long to fill one: the archive's lag (stored -> queryable) under light load. */
    archiveBatchingWindowSeconds: intFrom(0, 300).default(10),
    archiveMemoryMb: intFrom(128, 10_240).default(1024),
    /**
     * The splitter (README "History"): every this many minutes it files the staged batch files
     * (every tenant of a batch in one file) by tenant, in chunks of this many staged files
     * (inputs deleted once a chunk is filed), holding at most this many rows in memory, in
     * this many parallel shards (schedule targets, each a disjoint hash range of the files).
     */
    archiveSplitMinutes: intFrom(1, 60).default(15),
    archiveSplitChunkFiles: intFrom(1, 10_000).default(1000),
    archiveSplitBufferRows: intFrom(1000, 2_000_000).default(100_000),
    archiveSplitShards: intFrom(1, 50).default(1),
    /**
     * Readers of one tenant (exports, replays, the subject export) read a day's staged files
     * (every tenant's rows) only while the day has at most this many; above it an export or
     * replay waits for the splitter to file what was staged before it started (failing after
     * 3 x archiveSplitMinutes + the splitter's 15-minute run); the subject export answers what
     * is filed, with complete: false and completeThrough.
     */
    archiveStagedReadMaxFiles: intFrom(0, 100_000).default(300),
    /** Days after which archived objects move to S3 Standard-IA, then Glacier Instant Retrieval (0: never). */
    archiveInfrequentAccessDays: intFrom(0, 36_500).default(30),
    archiveGlacierDays: intFrom(0, 36_500).default(180),
    /** Days archived events are kept; 0 (the default) keeps them for good. */
    archiveExpiryDays: intFrom(0, 36_500).default(0),
    /** Export files stay this many days in the bucket (lifecycle), then go. */
    exportRetentionDays: intFrom(1, 365).default(7),
    /** How long an export's presigned download URL is valid. */
    exportUrlSeconds: intFrom(60, 604_800).default(3600),
    /** Athena workgroup: a query scanning more than this many MB is cancelled. */
    athenaBytesScannedCutoffMb: intFrom(10, 10_000_000).default(10_240),
    /** Replays: events per second unless a request asks for less. */
    replayMaxRate: intFrom(1, 10_000).default(100),
    /**
     * Erasure waits this long after deleting from the table before it rewrites the archive,
     * so a write still on its way to the archive (the stream's batching window) is caught.
     */
    erasureSettleSeconds: intFrom(0, 3600).default(60),
    jobsTimeoutSeconds: intFrom(10, 900).default(300),
    jobsMemoryMb: intFrom(128, 10_240).default(1024),
    /** Deliveries per deliver invocation (each runs in parallel, one per destination slot). */
    deliverBatchSize: intFrom(1, 10).default(10),
    /** MaximumConcurrency of each delivery queue's event source (standard and FIFO). */
    deliverMaxConcurrency: intFrom(2, 1000).default(20),
    deliverTimeoutSeconds: intFrom(5, 900).default(60),
    deliverMemoryMb: intFrom(128, 10_240).default(512),
    /**
     * Delays before each retry of a failed delivery, comma-separated durations (s, m, h), with
     * ±20% jitter. The default, 5s,5m,30m,2h,5h,10h,10h (Svix's), spans ~27.6 hours over 8
     * attempts. Each step is at most 12 h (SQS's longest visibility timeout).
     */
    deliveryRetrySchedule: z
      .string()
      .default("5s,5m,30m,2h,5h,10h,10h")
      .superRefine((value, ctx) => {
        const problem = invalidSchedule(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    /** TCP + TLS connect timeout of a webhook or Slack call. */
    deliveryConnectTimeoutMs: intFrom(100, 30_000).default(5_000),
    /** Whole-answer timeout of a webhook or Slack call (after which it counts as failed). */
    deliveryResponseTimeoutMs: intFrom(100, 120_000).default(15_000),
    /**
     * A destination failing without a single success for this long is disabled (an alarm and
     * an `eventflow.destination.disabled` event); 0 never disables.
     */
    deliveryDisableAfterSeconds: intFrom(0, 2_592_000).default(86_400),
    /** Days a delivery and its attempts stay in the log (DynamoDB TTL). */
    deliveryRetentionDays: intFrom(1, 3650).default(30),
    /**
     * Webhooks may reach loopback addresses (and plain http on loopback). The local runtime
     * turns it on so users and tests can receive on their machine; a deployed stack refuses it.
     */
    deliveryAllowLoopback: z
      .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
      .default(false),
    /** Calls in flight to one destination per deliver instance; more wait (visibility). */
    destinationMaxConcurrency: intFrom(1, 1000).default(10),
    /** The SES identity email destinations send from (required on AWS for email destinations). */
    deliveryEmailFrom: z.string().default(""),
    /**
     * AWS targets (SQS queues, SNS topics, EventBridge buses) must have names starting with
     * this: the deliver role may send to those only, never the platform's own queues.
     */
    deliveryTargetPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .default("eventflow-dest-"),
    /** Alarm: deliveries that failed for good (4xx or retries exhausted) within 5 minutes. */
    alarmDeliveryFailures: intFrom(1, 1_000_000).default(10),
  })
  .strict();

export type EventFlowSettings = z.output<typeof settingsSchema>;

export { parseRetrySchedule };

function invalidSchedule(value: string): string | undefined {
  try {
    const steps = parseRetrySchedule(value);
    if (steps.length > 20) return "at most 20 retries";
    if (steps.some((s) => s > 43_200)) return "each delay at most 12h (SQS visibility limit)";
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
export type EventFlowSettingsInput = z.input<typeof settingsSchema>;

/** Context keys are namespaced: `eventflow:processBatchSize`. */
export const CONTEXT_PREFIX = "eventflow:";

export class SettingsError extends Error {}

export function resolveSettings(input: Record<string, unknown> = {}): EventFlowSettings {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`)
      .join("; ");
    throw new SettingsError(`Invalid EventFlow settings: ${problems}`);
  }
  const s = parsed.data;
  if (s.processBatchSize > 10 && s.processMaxBatchingWindowSeconds < 1) {
    throw new SettingsError(
      "Invalid EventFlow settings: processBatchSize above 10 needs processMaxBatchingWindowSeconds >= 1 (an AWS Lambda rule)",
    );
  }
  if (
    s.eventsTableMinWriteCapacity > s.eventsTableMaxWriteCapacity ||
    s.eventsTableMinReadCapacity > s.eventsTableMaxReadCapacity
  ) {
    throw new SettingsError(
      "Invalid EventFlow settings: eventsTableMin*Capacity must not exceed eventsTableMax*Capacity",
    );
  }
  if (s.dlqRetentionDays <= s.queueRetentionDays) {
    throw new SettingsError(
      "Invalid EventFlow settings: dlqRetentionDays must exceed queueRetentionDays, or a message could expire in the DLQ before it is inspected",
    );
  }
  if (s.deliveryResponseTimeoutMs >= s.deliverTimeoutSeconds * 1000) {
    throw new SettingsError(
      "Invalid EventFlow settings: deliveryResponseTimeoutMs must be below deliverTimeoutSeconds, or a slow destination would time the whole batch out",
    );
  }
  if (s.canaryIntervalMinutes > 0) {
    if (s.canaryDeadlineSeconds >= s.canaryIntervalMinutes * 60) {
      throw new SettingsError(
        "Invalid EventFlow settings: canaryDeadlineSeconds must be shorter than canaryIntervalMinutes, or canary runs would overlap",
      );
    }
    if (s.alarmCanaryLatencyMs >= s.canaryDeadlineSeconds * 1000) {
      throw new SettingsError(
        "Invalid EventFlow settings: alarmCanaryLatencyMs must be below canaryDeadlineSeconds, or the latency alarm could never fire (a slower run counts as failed)",
      );
    }
  }
  return s;
}

/** Reads `eventflow:*` keys from a CDK node's context. */
export function settingsFromContext(tryGetContext: (key: string) => unknown): EventFlowSettings {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = tryGetContext(`${CONTEXT_PREFIX}${key}`);
    if (value !== undefined) input[key] = value;
  }
  return resolveSettings(input);
}

/** AWS recommends a visibility timeout of at least six times the function timeout. */
export function queueVisibilityTimeoutSeconds(s: EventFlowSettings): number {
  return 6 * s.processTimeoutSeconds + s.processMaxBatchingWindowSeconds;
}

/** The delivery queues: six times the deliver timeout, as for the events queue. */
export function deliveryVisibilityTimeoutSeconds(s: EventFlowSettings): number {
  return 6 * s.deliverTimeoutSeconds;
}

/**
 * Receives before SQS moves a delivery to its DLQ: the deliver function ends deliveries
 * itself (success, final failure, retries exhausted), so this only catches a message that
 * crashes it again and again; deferrals (a destination at its concurrency limit, a circuit
 * open) also count as receives, hence SQS's maximum.
 */
export const DELIVERY_MAX_RECEIVE_COUNT = 1000;

/** Days the delivery queues keep a message: longer than the whole retry schedule. */
export function deliveryQueueRetentionDays(s: EventFlowSettings): number {
  const total = parseRetrySchedule(s.deliveryRetrySchedule).reduce((a, b) => a + b, 0);
  return Math.min(14, Math.max(4, Math.ceil((total * 1.2) / 86_400) + 2));
}

/** The DLQ consumer does one small write per record; it shares the process timeout. */
export function dlqVisibilityTimeoutSeconds(s: EventFlowSettings): number {
  return 6 * s.processTimeoutSeconds;
}

/** The jobs queue's visibility timeout: six times the jobs function's timeout. */
export function jobsVisibilityTimeoutSeconds(s: EventFlowSettings): number {
  return 6 * s.jobsTimeoutSeconds;
}
