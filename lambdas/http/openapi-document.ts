/**
 * The OpenAPI 3.1 description of the API, served at GET /v1/openapi.json. Paths come from
 * ROUTES (lib/contracts/functions.ts), schemas from the zod schemas the handlers validate with
 * (z.toJSONSchema, JSON Schema 2020-12, OpenAPI 3.1's dialect) and from openapi-schemas.ts for
 * answers; the prose and schemas per route are in openapi-operations.ts. A route without an entry in OPERATIONS is still
 * listed (flagged `x-eventflow-undocumented`); a unit test fails on it.
 */
import { z } from "zod";
import { type HttpMethod, ROUTES, type Route } from "../../lib/contracts/functions.js";
import { CE_HEADER_PREFIX } from "./cloudevents-binding.js";
import {
  COMMON_RESPONSES,
  OPERATIONS as CORE_OPERATIONS,
  PATH_PARAMETERS as CORE_PATH_PARAMETERS,
  REQUEST_SCHEMAS as CORE_REQUEST_SCHEMAS,
  RESPONSE_SCHEMAS as CORE_RESPONSE_SCHEMAS,
  error,
  type OperationSpec,
  type ResponseSpec,
} from "./openapi-operations.js";
import {
  SCHEMA_OPERATIONS,
  SCHEMA_PATH_PARAMETERS,
  SCHEMA_REQUEST_SCHEMAS,
  SCHEMA_RESPONSE_SCHEMAS,
} from "./openapi-schema-operations.js";
import { WINDOWS_OPERATIONS } from "./openapi-windows.js";

// Each capability's routes are described in a module of its own; one document holds them.
const OPERATIONS: Record<string, OperationSpec> = { ...CORE_OPERATIONS, ...SCHEMA_OPERATIONS };
const PATH_PARAMETERS = { ...CORE_PATH_PARAMETERS, ...SCHEMA_PATH_PARAMETERS };
const REQUEST_SCHEMAS = [...CORE_REQUEST_SCHEMAS, ...SCHEMA_REQUEST_SCHEMAS];
const RESPONSE_SCHEMAS = [...CORE_RESPONSE_SCHEMAS, ...SCHEMA_RESPONSE_SCHEMAS];

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

const SECURITY_SCHEMES: Record<string, SecuritySchemeObject> = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    description:
      "An EventFlow API key (`efk_...`) as a bearer token: `Authorization: Bearer <key>`. Keys belong to one tenant and carry scopes (events:write, events:read, admin, schemas:write, rules:write, destinations:write).",
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

export const routeKey = (route: Pick<Route, "method" | "path">) => `${route.method} ${route.path}`;

/** Every operation: the events API's and windows and patterns' (openapi-windows.ts). */
const ALL_OPERATIONS = { ...OPERATIONS, ...WINDOWS_OPERATIONS };

/** Whether a route has prose and schemas in OPERATIONS (the unit test checks every route). */
export const isDocumented = (route: Pick<Route, "method" | "path">) =>
  Object.hasOwn(ALL_OPERATIONS, routeKey(route));

export function buildOpenApiDocument(routes: readonly Route[] = ROUTES): OpenApiDocument {
  const requests = components(REQUEST_SCHEMAS, "input");
  const responses = components(RESPONSE_SCHEMAS, "output");
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const spec = ALL_OPERATIONS[routeKey(route)];
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
      { name: "windows", description: "Windows and patterns: aggregations and complex events" },
      { name: "history", description: "The archive: exports, replays, erasure (README History)" },
      { name: "operations", description: "Health and this description" },
      {
        name: "schemas",
        description:
          "The schema registry: each event type's JSON Schema, versions, compatibility and enforcement",
      },
      {
        name: "rules",
        description:
          "A tenant's rules: EventBridge event patterns that reject, enrich (JSONata) and route events, versioned",
      },
      {
        name: "destinations",
        description:
          "Destinations (webhooks, Slack, email, SQS, SNS, EventBridge) and the delivery log",
      },
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
