/**
 * The OpenAPI 3.1 description of the API, served at GET /v1/openapi.json. Paths come from
 * ROUTES (lib/functions.ts), schemas from the zod schemas the handlers validate with
 * (z.toJSONSchema, JSON Schema 2020-12, OpenAPI 3.1's dialect) and from openapi-schemas.ts for
 * answers. Only prose is written here. A route without an entry in OPERATIONS is still
 * listed (flagged `x-eventflow-undocumented`); a unit test fails on it.
 */
import { z } from "zod";
import { type HttpMethod, ROUTES, type Route } from "../../lib/contracts/functions.js";
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  cloudEventSchema,
} from "../domain/cloudevents.js";
import { EVENT_ID_PATTERN, incomingEventSchema, LIMITS } from "../domain/event.js";
import { listSchema as failedListSchema } from "../use-cases/failed-events.js";
import { listSchema, statsSchema } from "../use-cases/query-events.js";
import { bodySchema as replayBodySchema } from "../use-cases/replay-failed.js";
import { CE_HEADER_PREFIX } from "./cloudevents-binding.js";
import {
  batchReceiptSchema,
  batchResultSchema,
  batchUnavailableSchema,
  cloudEventBatchSchema,
  errorEnvelopeSchema,
  eventPageSchema,
  failedPageSchema,
  fieldErrorSchema,
  healthReportSchema,
  nativeBatchSchema,
  openApiDocumentSchema,
  receiptSchema,
  replayAcceptedSchema,
  replayDryRunSchema,
  replayUnavailableSchema,
  statsReportSchema,
  storedCloudEventSchema,
  storedEventSchema,
} from "./openapi-schemas.js";

export const OPENAPI_VERSION = "3.1.0";
export const API_VERSION = "1.0.0";
const TARGET = "draft-2020-12";

export type JsonSchema = Record<string, unknown>;

/** The parts of an OpenAPI document this module writes (enough for tests and the HTML). */
export interface OpenApiDocument {
  openapi: string;
  info: {
    title: string;
    version: string;
    license: { name: string; identifier: string };
    description?: string;
  };
  servers: { url: string; description?: string }[];
  tags: { name: string; description?: string }[];
  /** Any one of these authenticates a request (OpenAPI: the alternatives of a list). */
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, SecuritySchemeObject>;
  };
}

export interface SecuritySchemeObject {
  type: "http";
  scheme: "bearer" | "basic";
  description: string;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface MediaTypeObject {
  schema: JsonSchema;
}

export interface HeaderObject {
  description: string;
  required: boolean;
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: ParameterObject[];
  requestBody?: {
    description?: string;
    required: boolean;
    content: Record<string, MediaTypeObject>;
    /**
     * With this header present the body is a CloudEvent's data in binary mode, of any media
     * type and any value (application/json included): its schemas above do not apply.
     */
    "x-eventflow-binary-mode"?: { header: string; description: string };
  };
  responses: Record<string, ResponseObject>;
  "x-eventflow-function": string;
  /** The scope the caller's API key needs (ROUTES), or `authenticated` for any valid key. */
  "x-eventflow-scope": string;
  "x-eventflow-undocumented"?: true;
}

interface ResponseSpec {
  description: string;
  content?: Record<string, z.ZodType>;
}

interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tag: "events" | "failed" | "operations";
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
const REQUEST_SCHEMAS: [z.ZodType, string][] = [
  [incomingEventSchema, "NativeEvent"],
  [nativeBatchSchema, "NativeEventBatch"],
  [cloudEventSchema, "CloudEvent"],
  [cloudEventBatchSchema, "CloudEventBatch"],
];
const RESPONSE_SCHEMAS: [z.ZodType, string][] = [
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
];

const error = (description: string): ResponseSpec => ({
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

const OPERATIONS: Record<string, OperationSpec> = {
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
    tag: "operations",
    responses: {
      "200": {
        description: "The OpenAPI 3.1 document",
        content: { "application/json": openApiDocumentSchema },
      },
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
        kind: "business_rule, dead_letter or malformed",
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
};

/** Every operation can also get these (API Gateway's and the handlers' own answers). */
const COMMON_RESPONSES: Record<string, ResponseSpec> = {
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

const SECURITY_SCHEMES: Record<string, SecuritySchemeObject> = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    description:
      "An EventFlow API key (`efk_...`) as a bearer token: `Authorization: Bearer <key>`. Keys belong to one tenant and carry scopes (events:write, events:read, admin).",
  },
  apiKeyBasic: {
    type: "http",
    scheme: "basic",
    description:
      "The same key as the user name of HTTP Basic auth, password empty, as Segment-style SDKs send write keys: `curl -u <key>:`.",
  },
};

const scopeNote = (route: Route) =>
  route.scope === "authenticated"
    ? "Needs an API key (any scope)."
    : `Needs an API key with the \`${route.scope}\` scope.`;

const PATH_PARAMETERS: Record<string, { description: string; schema: z.ZodType }> = {
  id: {
    description: "The stored event id (a CloudEvent's is `ce:...`, see POST /v1/events)",
    schema: z.string().regex(EVENT_ID_PATTERN),
  },
};

export const routeKey = (route: Pick<Route, "method" | "path">) => `${route.method} ${route.path}`;

/** Whether a route has prose and schemas in OPERATIONS (the unit test checks every route). */
export const isDocumented = (route: Pick<Route, "method" | "path">) =>
  Object.hasOwn(OPERATIONS, routeKey(route));

export function buildOpenApiDocument(routes: readonly Route[] = ROUTES): OpenApiDocument {
  const requests = components(REQUEST_SCHEMAS, "input");
  const responses = components(RESPONSE_SCHEMAS, "output");
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const spec = OPERATIONS[routeKey(route)];
    const operation = spec
      ? operationOf(route, spec, requests, responses)
      : undocumented(route, responses);
    paths[route.path] = { ...paths[route.path], [methodKey(route.method)]: operation };
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: "EventFlow API",
      version: API_VERSION,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      description:
        'Serverless event ingestion and processing. Events are accepted (202), queued, processed asynchronously and stored; the read API shows their outcome. Every answer carries `X-Correlation-Id` (the caller\'s, when usable). Errors share one envelope, whether the API Gateway or a function answers: `{"error": {"code", "message", "details"?, "requestId"}}`, with `details` listing each invalid field by path.',
    },
    servers: [
      {
        url: "..",
        description:
          "The API's base URL (the stage root), relative to this document's URL <base>/v1/openapi.json",
      },
    ],
    tags: [
      { name: "events", description: "Ingest and read events" },
      { name: "failed", description: "Failed events and replay" },
      { name: "operations", description: "Health and this description" },
    ],
    security: Object.keys(SECURITY_SCHEMES).map((name) => ({ [name]: [] })),
    paths,
    components: {
      schemas: { ...requests.schemas, ...responses.schemas },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The description of ROUTES, built once per process (the query function serves it). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument();
  return cached;
}

interface Components {
  schemas: Record<string, JsonSchema>;
  ids: Map<z.ZodType, string>;
  io: "input" | "output";
}

function components(entries: [z.ZodType, string][], io: "input" | "output"): Components {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of entries) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    target: TARGET,
    io,
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(converted.schemas)) schemas[id] = clean(schema);
  return { schemas, ids: new Map(entries), io };
}

/** A schema's $ref when it is a component, else the schema itself. */
function schemaOf(schema: z.ZodType, ...sets: Components[]): JsonSchema {
  for (const set of sets) {
    const id = set.ids.get(schema);
    if (id) return { $ref: `#/components/schemas/${id}` };
  }
  const io = sets[0]?.io ?? "output";
  return inline(schema, io, sets);
}

/** An unnamed schema; components it contains become $refs. */
function inline(schema: z.ZodType, io: "input" | "output", sets: Components[]): JsonSchema {
  if (schema instanceof z.ZodUnion) {
    // Each member by reference when it is a component (a union of named bodies).
    return { oneOf: schema.options.map((o) => schemaOf(o as z.ZodType, ...sets)) };
  }
  return clean(z.toJSONSchema(schema, { target: TARGET, io, unrepresentable: "any" }));
}

/** Drops $schema and $id: components live inside the document, not at their own URI. */
function clean(schema: JsonSchema): JsonSchema {
  const {
    $schema: _s,
    $id: _i,
    ...rest
  } = schema as JsonSchema & { $schema?: unknown; $id?: unknown };
  return rest;
}

const methodKey = (method: HttpMethod) => method.toLowerCase();

function operationOf(
  route: Route,
  spec: OperationSpec,
  requests: Components,
  responses: Components,
): OperationObject {
  const parameters: ParameterObject[] = [...pathParameters(route.path)];
  for (const [name, field] of Object.entries(spec.query?.schema.shape ?? {})) {
    const schema = field as z.ZodType;
    parameters.push({
      name,
      in: "query",
      required: !schema.safeParse(undefined).success,
      ...(spec.query?.descriptions?.[name] ? { description: spec.query.descriptions[name] } : {}),
      schema: inline(schema, "input", []),
    });
  }
  for (const h of spec.headers ?? []) {
    parameters.push({
      name: h.name,
      in: "header",
      required: false,
      description: h.description,
      schema: h.schema ? inline(h.schema, "input", []) : { type: "string" },
    });
  }
  const operation: OperationObject = {
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description ? `${spec.description}\n\n${scopeNote(route)}` : scopeNote(route),
    tags: [spec.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    // An operation's own answer for a status (its 503 body, say) wins over the common one.
    responses: responsesOf({ ...COMMON_RESPONSES, ...spec.responses }, responses),
    "x-eventflow-function": route.function,
    "x-eventflow-scope": route.scope,
  };
  if (spec.body) {
    const content: Record<string, MediaTypeObject> = {};
    for (const [type, schema] of Object.entries(spec.body.content)) {
      content[type] = { schema: schemaOf(schema, requests) };
    }
    operation.requestBody = {
      ...(spec.body.description ? { description: spec.body.description } : {}),
      required: spec.body.required,
      content,
      ...(spec.body.binaryMode
        ? {
            "x-eventflow-binary-mode": {
              header: `${CE_HEADER_PREFIX}specversion`,
              description:
                "A CloudEvent in binary mode: attributes in ce-* headers, the body is its data in any media type (the Content-Type is its datacontenttype) and, under application/json, any JSON value; the schemas of content do not apply.",
            },
          }
        : {}),
    };
  }
  return operation;
}

function responsesOf(
  specs: Record<string, ResponseSpec>,
  set: Components,
): Record<string, ResponseObject> {
  const out: Record<string, ResponseObject> = {};
  for (const status of Object.keys(specs).sort()) {
    const spec = specs[status] as ResponseSpec;
    const content: Record<string, MediaTypeObject> = {};
    for (const [type, schema] of Object.entries(spec.content ?? {})) {
      content[type] = { schema: schemaOf(schema, set) };
    }
    out[status] = {
      description: spec.description,
      headers: responseHeaders(status),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  return out;
}

/**
 * Headers of an answer with this status. A success always comes from a function, which
 * always sets X-Correlation-Id; an error may come from the gateway itself (401, 403, 429,
 * 413, 502, 504, unknown routes), which can only echo the caller's.
 */
function responseHeaders(status: string): Record<string, HeaderObject> {
  const success = status.startsWith("2");
  const headers: Record<string, HeaderObject> = {
    "X-Correlation-Id": {
      description: success
        ? "The request's correlation id: the caller's when usable, else a new one"
        : "The request's correlation id: always on the functions' answers; on the gateway's own answers (401, 403, 413, 429, 502, 504, unknown routes) when the request carried one",
      required: success,
      schema: { type: "string", minLength: 1 },
    },
  };
  if (status === "401") {
    headers["WWW-Authenticate"] = {
      description: "The authentication scheme to use (RFC 6750)",
      required: true,
      schema: { type: "string", pattern: "^Bearer " },
    };
  }
  if (status === "429" || status === "503") {
    headers["Retry-After"] = {
      description:
        status === "429"
          ? "Seconds to wait before retrying (1 for the rate, 3600 once the daily quota is used up)"
          : "Seconds to wait before retrying, when the platform knows",
      required: status === "429",
      schema: { type: "string", pattern: "^[0-9]{1,6}$" },
    };
  }
  return headers;
}

function pathParameters(path: string): ParameterObject[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name = ""]) => {
    const known = PATH_PARAMETERS[name];
    return {
      name,
      in: "path" as const,
      required: true,
      ...(known ? { description: known.description } : {}),
      schema: known ? inline(known.schema, "input", []) : { type: "string" },
    };
  });
}

function undocumented(route: Route, responses: Components): OperationObject {
  const name = route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
    (c ?? "").toUpperCase(),
  );
  return {
    operationId: `${methodKey(route.method)}${name}`,
    summary: `${route.method} ${route.path} (not described yet)`,
    tags: ["operations"],
    ...(route.path.includes("{") ? { parameters: pathParameters(route.path) } : {}),
    responses: responsesOf(
      {
        default: error("See the route's handler; errors use the common envelope"),
        ...COMMON_RESPONSES,
      },
      responses,
    ),
    "x-eventflow-function": route.function,
    "x-eventflow-scope": route.scope,
    "x-eventflow-undocumented": true,
  };
}
