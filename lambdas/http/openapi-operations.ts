/**
 * What the OpenAPI document says about each route: its prose, parameters, request and
 * answer schemas (the zod schemas the handlers validate with, and openapi-schemas.ts), and
 * the answers every operation can get. openapi-document.ts builds the document from these
 * and ROUTES; a route without an entry in OPERATIONS is flagged there.
 */
import * as z from "zod";
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  cloudEventSchema,
} from "../domain/cloudevents.js";
import { EVENT_ID_PATTERN, incomingEventSchema, LIMITS } from "../domain/event.js";
import { exportRequestSchema, replayRequestSchema } from "../domain/history-jobs.js";
import { rulesInputSchema } from "../domain/rule-schemas.js";
import { listSchema as failedListSchema } from "../use-cases/failed-events.js";
import { listSchema, statsSchema } from "../use-cases/query-events.js";
import { bodySchema as replayBodySchema } from "../use-cases/replay-failed.js";
import {
  rulesetSchema,
  testReportSchema,
  testRequestSchema,
} from "../use-cases/tenant-rules-schemas.js";
import { CE_HEADER_PREFIX } from "./cloudevents-binding.js";
import { DELIVERY_OPERATIONS } from "./openapi-delivery.js";
import { openApiQuerySchema } from "./openapi-query.js";
import {
  batchReceiptSchema,
  batchResultSchema,
  batchUnavailableSchema,
  cloudEventBatchSchema,
  erasureJobSchema,
  erasureListSchema,
  errorEnvelopeSchema,
  eventPageSchema,
  exportJobSchema,
  exportListSchema,
  failedPageSchema,
  fieldErrorSchema,
  healthReportSchema,
  nativeBatchSchema,
  openApiDocumentSchema,
  receiptSchema,
  replayAcceptedSchema,
  replayDryRunSchema,
  replayJobSchema,
  replayListSchema,
  replayUnavailableSchema,
  statsReportSchema,
  storedCloudEventSchema,
  storedEventSchema,
  subjectExportSchema,
} from "./openapi-schemas.js";

export interface ResponseSpec {
  description: string;
  content?: Record<string, z.ZodType>;
}

export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tag:
    | "events"
    | "failed"
    | "history"
    | "windows"
    | "operations"
    | "schemas"
    | "rules"
    | "destinations";
  /** Query parameters: each key of the schema the use case parses the query with. */
  query?: { schema: z.ZodObject; descriptions?: Record<string, string> };
  headers?: { name: string; description: string; schema?: z.ZodType }[];
  body?: {
    description?: string;
    required: boolean;
    content: Record<string, z.ZodType>;
    binaryMode?: true;
  };
  responses: Record<string, ResponseSpec>;
}

// Schemas the description names (components/schemas): requests are converted as inputs,
// answers as outputs (a transform's input and output differ).

export const REQUEST_SCHEMAS: [z.ZodType, string][] = [
  [rulesInputSchema, "RulesInput"],
  [testRequestSchema, "RulesTestRequest"],
  [incomingEventSchema, "NativeEvent"],
  [nativeBatchSchema, "NativeEventBatch"],
  [cloudEventSchema, "CloudEvent"],
  [cloudEventBatchSchema, "CloudEventBatch"],
  [exportRequestSchema, "ExportRequest"],
  [replayRequestSchema, "HistoryReplayRequest"],
];
export const RESPONSE_SCHEMAS: [z.ZodType, string][] = [
  [fieldErrorSchema, "FieldError"],
  [errorEnvelopeSchema, "ErrorEnvelope"],
  [receiptSchema, "Receipt"],
  [batchResultSchema, "BatchResult"],
  [batchReceiptSchema, "BatchReceipt"],
  [batchUnavailableSchema, "BatchUnavailable"],
  [storedEventSchema, "StoredEvent"],
  [storedCloudEventSchema, "StoredCloudEvent"],
  [eventPageSchema, "EventPage"],
  [statsReportSchema, "StatsReport"],
  [healthReportSchema, "HealthReport"],
  [failedPageSchema, "FailedPage"],
  [replayDryRunSchema, "ReplayDryRun"],
  [replayAcceptedSchema, "ReplayAccepted"],
  [replayUnavailableSchema, "ReplayUnavailable"],
  [openApiDocumentSchema, "OpenApiDocument"],
  [exportJobSchema, "ExportJob"],
  [replayJobSchema, "HistoryReplay"],
  [erasureJobSchema, "Erasure"],
  [subjectExportSchema, "SubjectExport"],
  [rulesetSchema, "Ruleset"],
  [testReportSchema, "RulesTestReport"],
];

export const error = (description: string): ResponseSpec => ({
  description,
  content: { "application/json": errorEnvelopeSchema },
});

const CE_ATTRIBUTE_HEADERS = [
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "dataschema",
];

const POST_EVENTS_DESCRIPTION = `Accepts native events and CloudEvents 1.0; the Content-Type picks the form.

**Native** (\`application/json\`): one event, or \`{"events": [...]}\` with 1-${LIMITS.maxBatchEvents} events. \`id\` is optional (a UUIDv7 is generated) and is the idempotency key; ids starting with \`ce:\` are kept for CloudEvents.

**CloudEvents, structured mode** (\`${CLOUDEVENT_MEDIA_TYPE}\`): one CloudEvent in the JSON format. **Batched mode** (\`${CLOUDEVENT_BATCH_MEDIA_TYPE}\`): a JSON array of 0-${LIMITS.maxBatchEvents} CloudEvents (an empty batch queues nothing). **Binary mode**: attributes in \`ce-*\` headers (values percent-encoded as the HTTP binding says), the body is the data and its Content-Type the \`datacontenttype\`.

CloudEvents are identified by \`source\` + \`id\`: the stored id is \`ce:\` + base64url(sha256(source + "\\n" + id)) (first 43 characters), so sending the same CloudEvent twice stores it once, and the same id from two sources stores two events. Receipts carry the stored \`id\` and the CloudEvent's own \`ceId\`.

Stored \`data\` is always a JSON object; a CloudEvent's other payloads sit in \`data.value\`, and \`cloudEvent.dataEncoding\` says which: \`object\` (the data itself), \`json\` (any other JSON value), \`text\` (a text payload of a non-JSON content type), \`base64\` (binary data, base64-encoded), \`none\` (no data). GET /v1/events/{id} with \`Accept: ${CLOUDEVENT_MEDIA_TYPE}\` gives the CloudEvent back as it was sent.

EventFlow limits on CloudEvents beyond the specification: \`type\` is 1-128 characters of A-Z a-z 0-9 . _ : / -; \`source\` and \`subject\` at most 1024 characters; extension names 1-20 characters of a-z 0-9, not starting with \`eventflow\`; extension values a string, a 32-bit integer or a boolean.

Limits: ${LIMITS.maxEventBytes} bytes per event serialized as JSON (binary data counted base64-encoded), ${LIMITS.maxBodyBytes} bytes per request, ${LIMITS.maxBatchEvents} events per batch. A whole request is refused (400, 413, 415) when it cannot be read or a single event is invalid; in a batch each event stands alone: an invalid one is rejected in its own result and the others are queued (202).`;

const RULES_DESCRIPTION = `Replaces the whole ordered list of rules; the tenant's next version (versions only grow; each stored event records the one that processed it as \`rulesetVersion\`). The process function applies a change within \`rulesCacheSeconds\` (5 s by default).

A rule: \`name\`, \`match\` (an EventBridge event pattern on the event as GET /v1/events/{id} returns it: exact values, prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr, $or), optional \`condition\` (JSONata, applies when \`true\`), \`enabled\` (default true) and \`actions\`, run in order:
- \`{"type": "reject", "message": "..."}\`: stored \`failed\` (kind \`business_rule\`) with the message; nothing after it runs;
- \`{"type": "enrich", "set": {"field": "<JSONata>"}}\`: sets \`enrichment.field\`;
- \`{"type": "route", "destinations": ["dst_..."], "transform"?: "<JSONata>"}\`: one delivery per destination after the event is stored.

JSONata expressions are bounded per evaluation (10,000 evaluation steps, 200 nested steps, 10,000 items per sequence, 64 KiB per string and per result, 1 s; 1 s for all of one event's; regular expressions in RE2 syntax, no \`$eval\`). An expression that fails at run time leaves its field unset and is listed on the event (\`ruleErrors\`).`;

export const OPERATIONS: Record<string, OperationSpec> = {
  "POST /v1/events": {
    operationId: "ingestEvents",
    summary: "Ingest events (native or CloudEvents 1.0)",
    description: POST_EVENTS_DESCRIPTION,
    tag: "events",
    headers: [
      ...CE_ATTRIBUTE_HEADERS.map((name) => ({
        name: `${CE_HEADER_PREFIX}${name}`,
        description: `Binary mode: the CloudEvent's \`${name}\` attribute${["specversion", "id", "source", "type"].includes(name) ? " (required in binary mode)" : ""}. Any other \`ce-<name>\` header is an extension attribute.`,
      })),
    ],
    body: {
      required: true,
      binaryMode: true,
      description:
        "A native event or batch, a structured or batched CloudEvent, or in binary mode (ce-* headers, any Content-Type, application/json included) the CloudEvent's data.",
      content: {
        // Native shapes only, so generated clients keep typed bodies; binary mode's data
        // (any JSON value under application/json too) is stated by x-eventflow-binary-mode.
        "application/json": z.union([incomingEventSchema, nativeBatchSchema]),
        [CLOUDEVENT_MEDIA_TYPE]: cloudEventSchema,
        [CLOUDEVENT_BATCH_MEDIA_TYPE]: cloudEventBatchSchema,
        // Binary mode takes any Content-Type (described above); two common ones listed, so
        // generated clients keep typed bodies (a "*\/*" entry would make every body unknown).
        "application/octet-stream": z.string().meta({
          contentMediaType: "application/octet-stream",
          description: "Binary mode (ce-* headers): binary data of the CloudEvent",
        }),
        "text/plain": z.string().meta({
          description: "Binary mode (ce-* headers): text data of the CloudEvent",
        }),
        "*/*": z.string().meta({
          description:
            "Binary mode (ce-* headers): data of any other media type, which becomes the CloudEvent's datacontenttype",
        }),
      },
    },
    responses: {
      "202": {
        description:
          "Queued: a receipt for one event, or per-event results for a batch (some may be rejected or failed)",
        content: { "application/json": z.union([receiptSchema, batchReceiptSchema]) },
      },
      "400": error(
        "The body is not JSON, is empty, or the event (every event of a batch) is invalid; `details` lists each field",
      ),
      "413": error("The body, a single event or the batch is over its limit"),
      "415": error("The Content-Type is not accepted"),
      "503": {
        description: "Nothing reached the queue: retry (a batch answer lists every event)",
        content: { "application/json": z.union([errorEnvelopeSchema, batchUnavailableSchema]) },
      },
    },
  },
  "GET /v1/events": {
    operationId: "listEvents",
    summary: "List events, newest first",
    description:
      "Pages of stored events by arrival time (receivedAt), optionally by type or status. Unknown or repeated parameters are errors.",
    tag: "events",
    query: {
      schema: listSchema,
      descriptions: {
        type: "Only events of this type",
        status: "Only processed or only failed events",
        from: "receivedAt at or after (RFC 3339)",
        to: "receivedAt at or before (RFC 3339)",
        limit: "Events per page (default 25)",
        cursor: "The previous page's nextCursor",
      },
    },
    responses: {
      "200": { description: "A page of events", content: { "application/json": eventPageSchema } },
      "400": error("A parameter or the cursor is invalid"),
    },
  },
  "GET /v1/events/{id}": {
    operationId: "getEvent",
    summary: "Get one event",
    description: `The stored event as JSON, or with \`Accept: ${CLOUDEVENT_MEDIA_TYPE}\` as a structured-mode CloudEvent: a CloudEvent comes back with its attributes, extensions and data as sent; a native event gets \`source\` \`/eventflow/<tenant>\` (unless it has one) and datacontenttype application/json. Both carry the extensions \`eventflowid\` (the stored id) and \`eventflowstatus\` (processed or failed).`,
    tag: "events",
    headers: [
      {
        name: "Accept",
        description: `\`${CLOUDEVENT_MEDIA_TYPE}\` for a CloudEvent; anything else gives JSON`,
      },
    ],
    responses: {
      "200": {
        description: "The event",
        content: {
          "application/json": storedEventSchema,
          [CLOUDEVENT_MEDIA_TYPE]: storedCloudEventSchema,
        },
      },
      "400": error("The id is not a valid event id"),
      "404": error("No event of this tenant has this id (yet: processing is asynchronous)"),
    },
  },
  "GET /v1/stats": {
    operationId: "getStats",
    summary: "Counts per event type",
    description:
      "Processed, failed and duplicate counts per type over a window (default: the last 24 hours).",
    tag: "events",
    query: {
      schema: statsSchema,
      descriptions: { from: "Window start (RFC 3339)", to: "Window end (RFC 3339; default now)" },
    },
    responses: {
      "200": { description: "The counts", content: { "application/json": statsReportSchema } },
      "400": error("A parameter is invalid"),
    },
  },
  "GET /v1/health": {
    operationId: "getHealth",
    summary: "Health of the table, the queue and the DLQ",
    tag: "operations",
    responses: {
      "200": {
        description: "Everything answers",
        content: { "application/json": healthReportSchema },
      },
      "503": {
        description:
          "A dependency does not answer (the report), or the local runtime is shutting down (the error envelope, code shutting_down)",
        content: { "application/json": z.union([healthReportSchema, errorEnvelopeSchema]) },
      },
    },
  },
  "GET /v1/openapi.json": {
    operationId: "getOpenApi",
    summary: "This OpenAPI description",
    description:
      "With `include=schemas`, also the caller's registered event types: each type's latest `data` schema as a component `EventData_<type>`, `TenantEvent` (their union by `type`), and `x-eventflow-event-types` (type -> component and version).",
    tag: "operations",
    query: {
      schema: openApiQuerySchema,
      descriptions: { include: "`schemas`: add the tenant's registered event types" },
    },
    responses: {
      "200": {
        description: "The OpenAPI 3.1 document",
        content: { "application/json": openApiDocumentSchema },
      },
      "400": error("An unknown query parameter, or `include` other than `schemas`"),
    },
  },
  "GET /v1/failed": {
    operationId: "listFailedEvents",
    summary: "List failed events, newest failure first",
    description:
      "Failed events with their original event, failure, attempts and history. `type`, `kind` and `reason` are filters applied while reading: a page may be short and still have a cursor. A request reads at most 512 KiB of the failed index (whose rows are whole events) and 8 index pages; when it stops there before `limit` events the answer says `partial: true` and carries a cursor to continue (a `reason` that matches nothing answers empty partial pages until the index is walked).",
    tag: "failed",
    query: {
      schema: failedListSchema(new Date(0)),
      descriptions: {
        type: "Only events of this type",
        kind: "business_rule, dead_letter, malformed or schema_violation",
        reason: "A case-sensitive substring of the failure reason",
        from: "failedAt at or after: RFC 3339, or a duration back from now (30m, 1h, 7d)",
        to: "failedAt at or before: RFC 3339, or a duration back from now",
        limit: "Events per page (default 25)",
        cursor: "The previous page's nextCursor",
      },
    },
    responses: {
      "200": {
        description: "A page of failed events",
        content: { "application/json": failedPageSchema },
      },
      "400": error("A parameter or the cursor is invalid"),
    },
  },
  "POST /v1/failed/replay": {
    operationId: "replayFailedEvents",
    summary: "Replay failed events under their original ids",
    description:
      "Selects failed events (by filters or ids; `{}` selects every failed event up to `limit`) and queues them again. `dryRun` lists what would be replayed and changes nothing. `since`/`until` bound failedAt: RFC 3339 or a duration back from now (30m, 1h, 7d).",
    tag: "failed",
    body: { required: true, content: { "application/json": replayBodySchema(new Date(0)) } },
    responses: {
      "200": {
        description: "Dry run: what would be replayed",
        content: { "application/json": replayDryRunSchema },
      },
      "202": { description: "Replayed", content: { "application/json": replayAcceptedSchema } },
      "400": error("The request or the cursor is invalid"),
      "503": {
        description:
          "Nothing could be queued (with what was skipped), or the local runtime is shutting down (code shutting_down): retry",
        content: { "application/json": z.union([replayUnavailableSchema, errorEnvelopeSchema]) },
      },
    },
  },
  "POST /v1/exports": {
    operationId: "createExport",
    summary: "Export archived events (JSON lines or Parquet)",
    description:
      "Starts an export of the tenant's archived events whose receivedAt is in [from, to) (to defaults to now), optionally of one `type` and matching an EventBridge-style event `pattern` (matched against the event as GET /v1/events/{id} returns it). It runs asynchronously: follow GET /v1/exports/{id}; once it succeeded, `download.url` fetches the file (a presigned URL, valid `exportUrlSeconds`). The archive lags the table by up to the archive's batching window (archiveBatchingWindowSeconds).",
    tag: "history",
    body: { required: true, content: { "application/json": exportRequestSchema } },
    responses: {
      "202": {
        description: "Accepted: the export job",
        content: { "application/json": exportJobSchema },
      },
      "400": error("The body is not JSON or a field is invalid; `details` lists each"),
    },
  },
  "GET /v1/exports": {
    operationId: "listExports",
    summary: "The tenant's newest exports (25), newest first",
    tag: "history",
    responses: {
      "200": { description: "Export jobs", content: { "application/json": exportListSchema } },
    },
  },
  "GET /v1/replays": {
    operationId: "listHistoryReplays",
    summary: "The tenant's newest replays (25), newest first",
    tag: "history",
    responses: {
      "200": { description: "Replay jobs", content: { "application/json": replayListSchema } },
    },
  },
  "GET /v1/erasures": {
    operationId: "listErasures",
    summary: "The tenant's newest erasures (25), newest first",
    description: "Receipts only: the subjects they erased are not shown.",
    tag: "history",
    responses: {
      "200": { description: "Erasures", content: { "application/json": erasureListSchema } },
    },
  },
  "GET /v1/exports/{id}": {
    operationId: "getExport",
    summary: "An export's progress and, once done, its download",
    tag: "history",
    responses: {
      "200": { description: "The export job", content: { "application/json": exportJobSchema } },
      "404": error("No export of this tenant has this id"),
    },
  },
  "POST /v1/replays": {
    operationId: "createHistoryReplay",
    summary:
      "Replay archived events into the pipeline, to one destination, or into one aggregation",
    description:
      "Reads the tenant's archived events whose receivedAt is in [from, to) (to defaults to now), optionally of one `type` and matching an event `pattern`, oldest first, at most `rate` events per second (default and maximum: the replayMaxRate setting), and hands them to its `target`:\n\n" +
      '- `{"kind":"pipeline"}` (the default): through the events queue again. Replayed events keep their ids and carry `replayId`: an event the table still holds is a duplicate (no side effect twice); one that left the table (retention, or deleted) is stored again with `replayId`.\n' +
      '- `{"destination":"dst_..."}`: delivered to that destination only, through the delivery engine, under the delivery id a rule\'s route would use (a hash of tenant, event and destination: the `webhook-id`), so an event the destination already received is not sent again, and a second identical replay sends nothing. Needs the `destinations:write` scope beside `admin` (it sends events out). An unknown destination is a 400 naming it; a disabled one a 409.\n' +
      '- `{"aggregation":"name"}`: the processed events matching the aggregation contribute to its current version (fixed when the replay is accepted) exactly once, as POST /v1/aggregations/{name}/backfill does from the table: contributions are keyed by (version, event id). An unknown aggregation is a 400 naming it.\n\n' +
      "Follow GET /v1/replays/{id}; DELETE cancels.",
    tag: "history",
    body: { required: true, content: { "application/json": replayRequestSchema } },
    responses: {
      "202": {
        description: "Accepted: the replay job (its `request.target` says where it goes)",
        content: { "application/json": replayJobSchema },
      },
      "400": error(
        "The body is not JSON, a field is invalid, or the target does not exist; `details` lists each",
      ),
      "409": error("The target destination is disabled"),
    },
  },
  "GET /v1/replays/{id}": {
    operationId: "getHistoryReplay",
    summary: "A replay's progress",
    tag: "history",
    responses: {
      "200": { description: "The replay job", content: { "application/json": replayJobSchema } },
      "404": error("No replay of this tenant has this id"),
    },
  },
  "DELETE /v1/replays/{id}": {
    operationId: "cancelHistoryReplay",
    summary: "Cancel a replay (it stops before its next slice)",
    tag: "history",
    responses: {
      "202": {
        description: "Cancellation requested (or the replay had already finished)",
        content: { "application/json": replayJobSchema },
      },
      "404": error("No replay of this tenant has this id"),
    },
  },
  "DELETE /v1/subjects/{subject}": {
    operationId: "eraseSubject",
    summary: "Erase a subject's events everywhere (GDPR article 17)",
    description:
      "Removes every event of the tenant whose `subject` is this one from the archive (its Parquet files are rewritten without them), the events table, the deliveries log (each delivery of those events keeps only a tombstone: no event, subject, payload or attempts), the windows' and patterns' contributions, derived events about the subject (`eventflow.pattern.matched` keyed by it or made of its events, `eventflow.window.closed` of its group when grouped by subject), and earlier export files that hold them. Answers a receipt at once; follow GET /v1/erasures/{id} until `succeeded` (it first waits erasureSettleSeconds so that events still on their way to the archive are caught). Events sent for the subject after the erasure are new data.",
    tag: "history",
    responses: {
      "202": {
        description: "The erasure receipt",
        content: { "application/json": erasureJobSchema },
      },
      "400": error("The subject is invalid"),
    },
  },
  "GET /v1/erasures/{id}": {
    operationId: "getErasure",
    summary: "An erasure's progress, step by step",
    tag: "history",
    responses: {
      "200": { description: "The erasure", content: { "application/json": erasureJobSchema } },
      "404": error("No erasure of this tenant has this id"),
    },
  },
  "GET /v1/subjects/{subject}/export": {
    operationId: "exportSubject",
    summary: "Everything the archive holds about a subject (GDPR article 15)",
    description:
      "Every archived event of the tenant with this `subject`, as GET /v1/events/{id} returns events. Read from the archive, which lags the table by up to archiveBatchingWindowSeconds. When a day holds more staged files (every tenant's last minutes) than archiveStagedReadMaxFiles, they are not read: `complete` is false and `completeThrough` says up to when the answer holds everything.",
    tag: "history",
    responses: {
      "200": {
        description: "The subject's events",
        content: { "application/json": subjectExportSchema },
      },
      "400": error("The subject is invalid"),
    },
  },
  "GET /v1/rules": {
    operationId: "getRules",
    summary: "The tenant's current rules",
    description:
      'The current version of the tenant\'s rules, in order. Until the tenant saves its own, version 0: the built-in default rules (`source: default`), which it can change (PUT) or turn off (PUT with `{"rules": []}`).',
    tag: "rules",
    query: { schema: z.object({}).strict() },
    responses: {
      "200": { description: "The current rules", content: { "application/json": rulesetSchema } },
      "400": error("A query parameter was given (this operation takes none)"),
    },
  },
  "PUT /v1/rules": {
    operationId: "putRules",
    summary: "Replace the tenant's rules (a new version)",
    description: RULES_DESCRIPTION,
    tag: "rules",
    query: { schema: z.object({}).strict() },
    body: { required: true, content: { "application/json": rulesInputSchema } },
    responses: {
      "200": { description: "The new version", content: { "application/json": rulesetSchema } },
      "400": error(
        "The body is not JSON, or a rule is invalid: each problem with its path (a pattern's JSON path, a JSONata error's code and character position)",
      ),
      "409": error("`expectedVersion` is not the current version, or another change won a race"),
    },
  },
  "DELETE /v1/rules": {
    operationId: "resetRules",
    summary: "Go back to the built-in default rules (a new version)",
    tag: "rules",
    query: { schema: z.object({}).strict() },
    responses: {
      "200": {
        description: "The new version, with the default rules",
        content: { "application/json": rulesetSchema },
      },
      "400": error("A query parameter was given (this operation takes none)"),
      "409": error("Another change won a race: retry"),
    },
  },
  "POST /v1/rules/test": {
    operationId: "testRules",
    summary: "Dry-run rules on an event or the newest stored events of a type",
    description:
      "Runs the current rules (or a draft given as `rules`) on `event` (as POST /v1/events takes it), or on the newest `last` (1-20, default 5) stored events of `type`. Answers, per event, which rules matched, whether one rejected it, the enrichment, and what each destination would receive (`body`: the transform's result, or the event). Nothing is stored, enqueued or sent.",
    tag: "rules",
    query: { schema: z.object({}).strict() },
    body: { required: true, content: { "application/json": testRequestSchema } },
    responses: {
      "200": {
        description: "Per event, what the rules did",
        content: { "application/json": testReportSchema },
      },
      "400": error("The body is not JSON, or the request or a draft rule is invalid"),
    },
  },
  ...(DELIVERY_OPERATIONS as Record<string, OperationSpec>),
};

/** Every operation can also get these (API Gateway's and the handlers' own answers). */
export const COMMON_RESPONSES: Record<string, ResponseSpec> = {
  "401": error(
    "No API key, or one that is malformed, unknown, revoked or expired (`WWW-Authenticate: Bearer`)",
  ),
  "403": error("The API key's scopes do not allow this operation"),
  "429": error(
    "Throttled (the tenant's rate, or the whole stage's) or the tenant's daily quota is used up: retry after `Retry-After` seconds",
  ),
  "500": error("Unexpected failure: quote the requestId when reporting it"),
  "502": error("The gateway got no valid answer from the function (it failed); retry"),
  "503": error(
    "Unavailable: a dependency does not answer, or the local runtime is shutting down (code shutting_down); retry",
  ),
  "504": error("The function did not answer within the gateway's integration timeout; retry"),
};

export const PATH_PARAMETERS: Record<string, { description: string; schema: z.ZodType }> = {
  id: {
    description:
      "The stored event id (a CloudEvent's is `ce:...`, see POST /v1/events); under /v1/destinations a destination id (`dst_...`), under /v1/deliveries a delivery id (`dlv_...`), under /v1/exports, /v1/replays and /v1/erasures a history job's id",
    schema: z.string().regex(EVENT_ID_PATTERN),
  },
  subject: {
    description: "An event subject, URL-encoded (events carry it as `subject`)",
    schema: z.string().min(1).max(1024),
  },
};
