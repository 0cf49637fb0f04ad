/**
 * zod schemas of what the API answers, for the OpenAPI description. Requests are
 * described by the schemas the handlers validate with (domain/event.ts,
 * domain/cloudevents.ts, the use cases' parameter schemas). Answers are TypeScript types
 * in the code that builds them; each schema here is checked against its type at compile
 * time (`Same<...>` below), so the description cannot drift from what is returned.
 */
import * as z from "zod";
import { CLOUDEVENTS_SPEC_VERSION, cloudEventSchema } from "../domain/cloudevents.js";
import {
  cloudEventMetaSchema,
  EVENT_ID_PATTERN,
  type HistoryEntry,
  incomingEventSchema,
  LIMITS,
  queuedEventSchema,
  type StoredEvent,
} from "../domain/event.js";
import type { FieldError } from "../domain/json.js";
import type { ListPage } from "../ports/event-store.js";
import type { ErrorEnvelope } from "../shared/http.js";
import type { HealthReport } from "../use-cases/check-health.js";
import type { FailedPage } from "../use-cases/failed-events.js";
import type { StatsReport } from "../use-cases/query-events.js";
import type { Candidate, Skipped } from "../use-cases/replay-failed.js";

/** True when A and B are assignable to each other; a `false` fails compilation below. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(check: Same<A, B>) => check;

export const fieldErrorSchema = z.object({
  path: z.string().meta({ description: "Where: `type`, `events[3].data`, `[2].source`, `ce-id`" }),
  message: z.string(),
  pointer: z.string().optional().meta({
    description:
      "Schema violations: an RFC 6901 JSON pointer into the event (`/data/amount`); for schema problems in /v1/schemas requests, the pointer into the request body",
  }),
  keyword: z.string().optional().meta({
    description: "Schema violations: the JSON Schema keyword that failed (`type`, `required`, ...)",
  }),
});

export const errorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string().meta({
      description:
        "validation_failed, invalid_json, empty_body, payload_too_large, unsupported_media_type, invalid_cursor, not_found, route_not_found, method_not_allowed, unauthorized, forbidden, throttled, quota_exceeded, queue_unavailable, internal_error, integration_timeout, bad_request, ...",
    }),
    message: z.string(),
    details: z.array(fieldErrorSchema).optional(),
    requestId: z.string().meta({
      description:
        "Quote it when reporting a problem: API Gateway's request id for the gateway's own answers (401, 403, 429, unknown routes, 502/504; the access log), the function invocation's for the functions' answers (their log lines)",
    }),
  }),
});

export const nativeBatchSchema = z
  .object({ events: z.array(incomingEventSchema).min(1).max(LIMITS.maxBatchEvents) })
  .strict();

export const cloudEventBatchSchema = z.array(cloudEventSchema).max(LIMITS.maxBatchEvents);

const storedId = z.string().regex(EVENT_ID_PATTERN);
const ceId = z.string().meta({ description: "A CloudEvent's own id (`id` is derived from it)" });

export const receiptSchema = z.object({
  id: storedId,
  ceId: ceId.optional(),
  status: z.literal("queued"),
});

export type Receipt = z.output<typeof receiptSchema>;

export const batchResultSchema = z.discriminatedUnion("status", [
  z.object({ index: z.int(), id: storedId, ceId: ceId.optional(), status: z.literal("queued") }),
  z.object({ index: z.int(), status: z.literal("rejected"), errors: z.array(fieldErrorSchema) }),
  z.object({
    index: z.int(),
    id: storedId,
    ceId: ceId.optional(),
    status: z.literal("failed"),
    reason: z.string(),
  }),
]);
export type BatchResult = z.output<typeof batchResultSchema>;

export const batchReceiptSchema = z.object({
  accepted: z.int(),
  rejected: z.int(),
  failed: z.int(),
  results: z.array(batchResultSchema),
});

export type BatchReceipt = z.output<typeof batchReceiptSchema>;

/** 503 on a batch: nothing reached the queue; the error plus every event's result. */
export const batchUnavailableSchema = errorEnvelopeSchema.extend({
  results: z.array(batchResultSchema),
});

const historyEntrySchema = z.object({
  at: z.string(),
  action: z.enum(["failed", "replayed", "processed"]),
  detail: z.string().optional(),
});

const failureKindSchema = z.enum(["business_rule", "dead_letter", "malformed", "schema_violation"]);

const failureSchema = z.object({
  kind: failureKindSchema,
  reason: z.string(),
  errors: z.array(fieldErrorSchema).optional().meta({
    description: "schema_violation: each field that did not match (pointer into the event)",
  }),
});

export const storedEventSchema = z.object({
  id: storedId,
  tenantId: z.string(),
  type: z.string(),
  source: z.string().optional(),
  subject: z.string().optional(),
  time: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
  status: z.enum(["processed", "failed"]),
  receivedAt: z.string(),
  correlationId: z.string(),
  attempts: z.int(),
  processedAt: z.string().optional(),
  latencyMs: z.number().optional(),
  enrichment: z.object({ category: z.string().optional() }).catchall(z.unknown()).optional(),
  cloudEvent: cloudEventMetaSchema.optional(),
  failedAt: z.string().optional(),
  failure: failureSchema.optional(),
  history: z.array(historyEntrySchema).optional(),
  replayId: z
    .string()
    .optional()
    .meta({ description: "The history replay (POST /v1/replays) that brought the event back" }),
  schemaVersion: z.int().optional().meta({
    description:
      "The version of the type's registered schema the event was validated against (GET /v1/schemas/{type}/versions/{version})",
  }),
  rulesetVersion: z.int().optional().meta({
    description:
      "The version of the tenant's rules that processed the event (0: the built-in defaults)",
  }),
  routes: z
    .array(z.object({ rule: z.string(), destinationId: z.string(), deliveryId: z.string() }))
    .optional()
    .meta({ description: "Deliveries the rules' route actions asked for" }),
  ruleErrors: z
    .array(z.object({ rule: z.string(), at: z.string(), message: z.string() }))
    .optional()
    .meta({ description: "Rule expressions that failed on this event (stored all the same)" }),
});

/** Set when a page was cut at the per-request read bound (adapters/dynamodb-event-reader.ts). */
const partialSchema = z.literal(true).optional().meta({
  description:
    "Present (true) when this request stopped at its read bound (512 KiB of index reads, or 8 reads) before it had `limit` events: the page may be short or empty; continue with nextCursor",
});

export const eventPageSchema = z.object({
  items: z.array(storedEventSchema),
  nextCursor: z.string().optional().meta({ description: "Absent on the last page" }),
  partial: partialSchema,
});

/** GET /v1/events/{id} with `Accept: application/cloudevents+json`. */
export const storedCloudEventSchema = z
  .object({
    ...cloudEventSchema.shape,
    specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
    eventflowid: storedId.meta({ description: "The stored id (the path's {id})" }),
    eventflowstatus: z.enum(["processed", "failed"]),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]))
  .meta({
    description:
      "The event as a structured-mode CloudEvent: CloudEvents as they were sent (plus the two eventflow extensions); native events with source `/eventflow/<tenant>` unless they have one, datacontenttype application/json.",
  });

const typeStatsSchema = z.object({
  type: z.string(),
  processed: z.int(),
  failed: z.int(),
  duplicate: z.int(),
});

export const statsReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  types: z.array(typeStatsSchema),
  totals: z.object({ processed: z.int(), failed: z.int(), duplicate: z.int() }),
});

const checkResultSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), latencyMs: z.number(), depth: z.int().optional() }),
  z.object({
    status: z.literal("error"),
    latencyMs: z.number(),
    error: z.enum(["timeout", "unavailable"]),
  }),
]);

export const healthReportSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  checks: z.object({ table: checkResultSchema, queue: checkResultSchema, dlq: checkResultSchema }),
});

export const failedPageSchema = z.object({
  items: z.array(
    z.object({
      id: storedId,
      type: z.string(),
      event: queuedEventSchema.shape.event.meta({
        description: "The event as it was accepted: what a replay sends again",
      }),
      failure: failureSchema,
      attempts: z.int(),
      correlationId: z.string(),
      receivedAt: z.string(),
      failedAt: z.string(),
      history: z.array(historyEntrySchema),
    }),
  ),
  nextCursor: z.string().optional(),
  partial: partialSchema,
});

const skippedSchema = z.object({
  id: z.string(),
  reason: z.enum([
    "not_found",
    "not_failed",
    "not_matching",
    "not_replayable",
    "enqueue_failed",
    "schema_violation",
  ]),
  detail: z.string().optional(),
});

const candidateSchema = z.object({
  id: storedId,
  type: z.string(),
  kind: failureKindSchema.optional(),
  reason: z.string().optional(),
  failedAt: z.string().optional(),
  attempts: z.int(),
});

export const replayDryRunSchema = z.object({
  dryRun: z.literal(true),
  count: z.int(),
  events: z.array(candidateSchema),
  skipped: z.array(skippedSchema),
  nextCursor: z.string().optional(),
});

export const replayAcceptedSchema = z.object({
  replayed: z.int(),
  ids: z.array(storedId),
  skipped: z.array(skippedSchema),
  requestId: z.string(),
  nextCursor: z.string().optional(),
});

export const replayUnavailableSchema = errorEnvelopeSchema.extend({
  skipped: z.array(skippedSchema),
});

/** The OpenAPI description itself (GET /v1/openapi.json). */
export const openApiDocumentSchema = z
  .object({ openapi: z.string() })
  .catchall(z.unknown())
  .meta({ description: "This OpenAPI 3.1 document" });

// Compile-time checks: each schema describes exactly the type the code returns.
export const SCHEMAS_MATCH_TYPES = [
  same<z.output<typeof fieldErrorSchema>, FieldError>(true),
  same<z.output<typeof errorEnvelopeSchema>, ErrorEnvelope>(true),
  same<z.output<typeof historyEntrySchema>, HistoryEntry>(true),
  same<z.output<typeof storedEventSchema>, StoredEvent>(true),
  same<z.output<typeof eventPageSchema>, ListPage>(true),
  same<z.output<typeof statsReportSchema>, StatsReport>(true),
  same<z.output<typeof healthReportSchema>, HealthReport>(true),
  same<z.output<typeof failedPageSchema>, FailedPage>(true),
  same<z.output<typeof skippedSchema>, Skipped>(true),
  same<z.output<typeof candidateSchema>, Candidate>(true),
] as const;

/** History jobs (exports, replays, erasures) as GET /v1/exports/{id} and friends show them. */
const jobProgressSchema = z.object({
  selected: z.int().meta({ description: "Events selected so far" }),
  done: z
    .int()
    .meta({ description: "Events written (exports), sent (replays) or removed (erasure)" }),
});

const jobBaseSchema = z.object({
  id: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
  progress: jobProgressSchema,
  request: z.record(z.string(), z.unknown()),
  cancelRequested: z.boolean().optional(),
  error: z.string().optional(),
  waitingFor: z.string().optional().meta({
    description:
      "Exports and replays: why the job waits (the archive is filing its last minutes of staged files; archiveStagedReadMaxFiles)",
  }),
  waitingSince: z
    .string()
    .optional()
    .meta({ description: "Since when it waits; it fails after archiveStagedWaitMinutes" }),
});

export const exportJobSchema = jobBaseSchema.extend({
  kind: z.literal("export"),
  result: z
    .object({
      key: z.string(),
      format: z.enum(["jsonl", "parquet"]),
      count: z.int(),
      bytes: z.int(),
    })
    .optional(),
  download: z
    .object({
      url: z
        .string()
        .meta({ description: "Presigned GET URL (on AWS: S3; locally: the emulated S3)" }),
      fileUrl: z.string().optional().meta({ description: "Local runtime only: the file itself" }),
      expiresInSeconds: z.int(),
    })
    .optional()
    .meta({ description: "Present once the export succeeded" }),
});

export const replayJobSchema = jobBaseSchema.extend({ kind: z.literal("replay") });

const erasureStepSchema = z.object({
  status: z.literal("done"),
  at: z.string(),
  count: z.int().optional(),
  events: z.int().optional().meta({ description: "`derived`: derived events erased" }),
  contributions: z
    .int()
    .optional()
    .meta({ description: "`derived`: window and pattern contributions removed" }),
});

export const erasureJobSchema = jobBaseSchema.extend({
  kind: z.literal("erasure"),
  steps: z
    .object({
      settle: erasureStepSchema.optional(),
      archive: erasureStepSchema.optional(),
      table: erasureStepSchema.optional(),
      deliveries: erasureStepSchema
        .optional()
        .meta({ description: "Deliveries of the erased events made tombstones" }),
      derived: erasureStepSchema.optional().meta({
        description: "Derived events about the subject and the events' contributions removed",
      }),
      exports: erasureStepSchema.optional(),
    })
    .optional(),
});

export const subjectExportSchema = z.object({
  subject: z.string(),
  count: z.int(),
  events: z.array(storedEventSchema),
  complete: z.boolean().meta({
    description:
      "false when a day held more staged files than archiveStagedReadMaxFiles: its last minutes (staged, not yet filed by the splitter) were not read; call again after the splitter's next run (archiveSplitMinutes) for them",
  }),
  completeThrough: z.iso.datetime().optional().meta({
    description:
      "When complete is false: every event stored before this instant is in the answer (the oldest staged file not yet filed)",
  }),
});

export const exportListSchema = z.object({ items: z.array(exportJobSchema) });
export const replayListSchema = z.object({ items: z.array(replayJobSchema) });
export const erasureListSchema = z.object({ items: z.array(erasureJobSchema) });
