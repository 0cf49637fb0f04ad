/**
 * The schema registry API (routes of the `schemas` function in lib/contracts/functions.ts):
 *   GET    /v1/schemas                              types, latest versions, tenant settings
 *   PUT    /v1/schemas/{type}                       201 new version, 200 identical, 409 incompatible
 *   GET    /v1/schemas/{type}                       latest version with the type's settings
 *   DELETE /v1/schemas/{type}                       soft delete (versions stay readable)
 *   GET    /v1/schemas/{type}/versions/{version}    one version
 *   POST   /v1/schemas/{type}/check                 would this schema register / this event validate
 *   GET    /v1/schemas/{type}/inferred              a schema proposed from stored events
 *   GET|PUT /v1/schema-settings                     the policy for unregistered types
 * Logic in use-cases/manage-schemas.ts; least privilege in lib/constructs/api.ts (the
 * configuration table's schema items, and Query on the events' byType index for inference).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { DynamoDbSchemaStore } from "../adapters/dynamodb-schema-store.js";
import { isPlainObject } from "../domain/json.js";
import { eventTypeParam } from "../domain/schemas.js";
import type { EventReader } from "../ports/event-store.js";
import type { SchemaStore } from "../ports/schema-store.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import {
  bodyText,
  type HttpConfig,
  type HttpRequest,
  type HttpResponse,
  httpConfig,
  httpError,
  httpHandler,
  json,
  matchRoute,
  queryParams,
  unmatchedRoute,
} from "../shared/http.js";
import { inferFromEvents } from "../use-cases/infer-schema.js";
import {
  checkSchema,
  deleteSchema,
  getSchema,
  getSchemaVersion,
  getTenantSettings,
  listSchemas,
  putTenantSettings,
  registerSchema,
} from "../use-cases/manage-schemas.js";
import { eventReaderFrom } from "./store-wiring.js";

export interface SchemasDeps {
  store: SchemaStore;
  reader: EventReader;
  http: HttpConfig;
  now?: () => Date;
}

export function schemasDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    secrets: SecretReader;
  },
): SchemasDeps {
  const config = parseEnv({ [ENV.configTableName]: envVars[ENV.configTableName] }, env);
  return {
    store: new DynamoDbSchemaStore(clients.documentClient, config[ENV.configTableName]),
    reader: eventReaderFrom(env, clients),
    http: httpConfig(env),
  };
}

const routes = ROUTES.filter((r) => r.function === "schemas");

/** A schema request body: JSON, at most this many bytes (three 64 KiB schemas and room). */
export const MAX_SCHEMA_BODY_BYTES = 256 * 1024;

type Action = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;

const invalid = (r: { message: string; details: { path: string; message: string }[] }) =>
  httpError(400, "validation_failed", r.message, { details: r.details });

const noSchema = (type: string) =>
  httpError(404, "not_found", `No schema is registered for ${type}`);

/** The body as a JSON object, or the 400/413 to answer. */
function jsonBody(
  req: HttpRequest,
): { ok: true; value: unknown } | { ok: false; response: HttpResponse } {
  const body = bodyText(req.event);
  if (!body.ok || body.text === undefined || body.text.trim() === "") {
    return {
      ok: false,
      response: httpError(400, "empty_body", "The body must be a JSON object"),
    };
  }
  if (Buffer.byteLength(body.text) > MAX_SCHEMA_BODY_BYTES) {
    return {
      ok: false,
      response: httpError(
        413,
        "payload_too_large",
        `The body is over ${MAX_SCHEMA_BODY_BYTES} bytes`,
      ),
    };
  }
  try {
    const value: unknown = JSON.parse(body.text);
    if (!isPlainObject(value)) {
      return {
        ok: false,
        response: httpError(400, "invalid_json", "The body must be a JSON object"),
      };
    }
    return { ok: true, value };
  } catch {
    return { ok: false, response: httpError(400, "invalid_json", "The body is not valid JSON") };
  }
}

/** No route of this function takes query parameters. */
function unknownParameters(req: HttpRequest): HttpResponse | undefined {
  const names = Object.keys(queryParams(req.event));
  if (names.length === 0) return undefined;
  return httpError(400, "validation_failed", "This operation takes no query parameters", {
    details: names.map((name) => ({ path: name, message: "is not a known parameter" })),
  });
}

const actionsOf = (deps: SchemasDeps): Record<string, Action> => {
  const now = deps.now ?? (() => new Date());
  const manage = { store: deps.store, now };
  return {
    "GET /v1/schemas": async ({ tenantId }) => json(200, await listSchemas(tenantId, manage)),
    "GET /v1/schema-settings": async ({ tenantId }) =>
      json(200, await getTenantSettings(tenantId, manage)),
    "PUT /v1/schema-settings": async (req) => {
      const body = jsonBody(req);
      if (!body.ok) return body.response;
      const r = await putTenantSettings(req.tenantId, body.value, manage);
      return r.kind === "invalid" ? invalid(r) : json(200, r.settings);
    },
    "PUT /v1/schemas/{type}": async (req, { type }) => {
      const body = jsonBody(req);
      if (!body.ok) return body.response;
      const r = await registerSchema(req.tenantId, type as string, body.value, manage);
      switch (r.kind) {
        case "invalid":
          return invalid(r);
        case "created":
          return json(201, r.view);
        case "unchanged":
          return json(200, r.view);
        case "incompatible":
          return httpError(
            409,
            "incompatible_schema",
            `The schema breaks ${r.details.length} rule${r.details.length === 1 ? "" : "s"} of the type's ${r.mode} compatibility`,
            { details: r.details },
          );
        case "conflict":
          return httpError(409, "concurrent_registration", r.message);
      }
    },
    "GET /v1/schemas/{type}": async ({ tenantId }, { type }) => {
      const view = await getSchema(tenantId, type as string, manage);
      return view ? json(200, view) : noSchema(type as string);
    },
    "DELETE /v1/schemas/{type}": async ({ tenantId }, { type }) => {
      const view = await deleteSchema(tenantId, type as string, manage);
      return view ? json(200, view) : noSchema(type as string);
    },
    "GET /v1/schemas/{type}/versions/{version}": async ({ tenantId }, { type, version }) => {
      const r = await getSchemaVersion(tenantId, type as string, version as string, manage);
      if (r.kind === "invalid") return invalid(r);
      if (r.kind === "not_found") {
        return httpError(404, "not_found", `${type} has no version ${version}`);
      }
      return json(200, r.view);
    },
    "POST /v1/schemas/{type}/check": async (req, { type }) => {
      const body = jsonBody(req);
      if (!body.ok) return body.response;
      const r = await checkSchema(req.tenantId, type as string, body.value, manage);
      if (r.kind === "invalid") return invalid(r);
      const { kind: _, ...answer } = r;
      return json(200, answer);
    },
    "GET /v1/schemas/{type}/inferred": async ({ tenantId }, { type }) => {
      const r = await inferFromEvents(tenantId, type as string, deps.reader);
      if (r.sampled === 0) {
        return httpError(404, "not_found", "No stored events of this type to infer a schema from");
      }
      return json(200, r);
    },
  };
};

export function createSchemasHandler(deps: SchemasDeps) {
  const actions = actionsOf(deps);
  return httpHandler(async (req) => {
    const match = matchRoute(req.event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const refused = unknownParameters(req);
    if (refused) return refused;
    const { type } = match.params;
    if (type !== undefined && !eventTypeParam.safeParse(type).success) {
      return httpError(400, "validation_failed", "The type is invalid", {
        details: [{ path: "type", message: "must be 1-128 characters of A-Z a-z 0-9 . _ : / -" }],
      });
    }
    const action = actions[`${match.route.method} ${match.route.path}`];
    if (!action) throw new Error(`route ${match.route.path} has no action`);
    return action(req, match.params);
  }, deps.http);
}
