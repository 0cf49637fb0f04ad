/**
 * The destinations API: /v1/destinations (+ /{id}, /{id}/rotate-secret, /{id}/replay) and
 * /v1/deliveries (+ /{id}, /{id}/retry). Routes from lib/contracts/functions.ts; the logic
 * in use-cases/manage-destinations.ts; the OpenAPI description in http/openapi-operations.ts.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import {
  DynamoDbDeliveryLog,
  InvalidDeliveryCursorError,
} from "../adapters/dynamodb-delivery-log.js";
import { DynamoDbDestinationStore } from "../adapters/dynamodb-destination-store.js";
import { HttpDeliveryClient } from "../adapters/http-delivery-client.js";
import { SqsDeliveryQueue } from "../adapters/sqs-delivery-queue.js";
import { DELIVERY_ID_PATTERN, DESTINATION_ID_PATTERN } from "../domain/delivery.js";
import { compileEventPattern, matchesEventPattern } from "../domain/event-pattern.js";
import { isPlainObject, parseJson } from "../domain/json.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, parseEnv } from "../shared/env.js";
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
import {
  createDestination,
  type DestinationsDeps,
  deleteDestination,
  getDestination,
  listDeliveries,
  listDestinations,
  patchDestination,
  replayToDestination,
  retryDelivery,
  rotateSecret,
} from "../use-cases/manage-destinations.js";
import { eventReaderFrom } from "./store-wiring.js";

export interface DestinationsHandlerDeps extends DestinationsDeps {
  http: HttpConfig;
}

export function destinationsDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    sqs: SQSClient;
    secrets: SecretReader;
  },
): DestinationsHandlerDeps {
  const c = parseEnv(
    {
      [ENV.configTableName]: z.string().min(1),
      [ENV.deliveriesTableName]: z.string().min(1),
      [ENV.destinationSecretId]: z.string().min(1),
      [ENV.deliveryQueueUrl]: z.url(),
      [ENV.deliveryFifoQueueUrl]: z.url(),
      [ENV.deliveryAllowLoopback]: z.enum(["true", "false"]).transform((v) => v === "true"),
      [ENV.deliveryTargetPrefix]: z.string().min(1),
      [ENV.deliveryRetentionDays]: z.coerce.number().int().min(1),
    },
    env,
  );
  const secretId = c[ENV.destinationSecretId];
  return {
    store: new DynamoDbDestinationStore(clients.documentClient, {
      tableName: c[ENV.configTableName],
      masterKey: () => clients.secrets.get(secretId),
    }),
    guard: new HttpDeliveryClient({
      policy: { allowLoopback: c[ENV.deliveryAllowLoopback] },
      connectTimeoutMs: 5_000,
      responseTimeoutMs: 5_000,
    }),
    log: new DynamoDbDeliveryLog(clients.documentClient, {
      tableName: c[ENV.deliveriesTableName],
      retentionDays: c[ENV.deliveryRetentionDays],
    }),
    queue: new SqsDeliveryQueue(clients.sqs, {
      queueUrl: c[ENV.deliveryQueueUrl],
      fifoQueueUrl: c[ENV.deliveryFifoQueueUrl],
    }),
    reader: eventReaderFrom(env, clients),
    compilePattern: (pattern) => {
      const compiled = compileEventPattern(pattern);
      return (event) => matchesEventPattern(compiled, event);
    },
    config: { targetPrefix: c[ENV.deliveryTargetPrefix] },
    http: httpConfig(env),
  };
}

const routes = ROUTES.filter((r) => r.function === "destinations");

type Action = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;

const invalid = (r: { message: string; details: { path: string; message: string }[] }) =>
  httpError(400, "validation_failed", r.message, { details: r.details });

type Outcome =
  | { kind: "ok"; value: unknown }
  | { kind: "invalid"; message: string; details: { path: string; message: string }[] }
  | { kind: "not_found" }
  | { kind: "conflict"; message: string }
  | { kind: "unavailable"; message: string };

function answer(r: Outcome, status: number, what: string): HttpResponse {
  switch (r.kind) {
    case "ok":
      return json(status, r.value);
    case "invalid":
      return invalid(r);
    case "not_found":
      return httpError(404, "not_found", `No ${what} has this id`);
    case "conflict":
      return httpError(409, "conflict", r.message);
    case "unavailable":
      return httpError(503, "unavailable", r.message);
  }
}

/** The body as a JSON object, or the 400 to answer. */
function jsonBody(
  req: HttpRequest,
  optional = false,
): { ok: true; value: unknown } | { ok: false; response: HttpResponse } {
  const text = bodyText(req.event);
  if (!text.ok)
    return {
      ok: false,
      response: httpError(400, "validation_failed", "The body is not valid UTF-8"),
    };
  if (text.text === undefined || text.text.trim() === "") {
    if (optional) return { ok: true, value: {} };
    return {
      ok: false,
      response: httpError(400, "validation_failed", "The body must be a JSON object", {
        details: [{ path: "(body)", message: "is empty" }],
      }),
    };
  }
  const parsed = parseJson(text.text);
  if (!parsed.ok || !isPlainObject(parsed.value)) {
    return {
      ok: false,
      response: httpError(400, "validation_failed", "The body must be a JSON object", {
        details: [
          { path: "(body)", message: parsed.ok ? "must be a JSON object" : parsed.message },
        ],
      }),
    };
  }
  return { ok: true, value: parsed.value };
}

const badId = (what: string) =>
  httpError(400, "validation_failed", `The ${what} id is invalid`, {
    details: [{ path: "id", message: `must be a ${what} id` }],
  });

function withDestination(action: (req: HttpRequest, id: string) => Promise<HttpResponse>): Action {
  return (req, { id = "" }) =>
    DESTINATION_ID_PATTERN.test(id) ? action(req, id) : Promise.resolve(badId("destination"));
}

function withDelivery(action: (req: HttpRequest, id: string) => Promise<HttpResponse>): Action {
  return (req, { id = "" }) =>
    DELIVERY_ID_PATTERN.test(id) ? action(req, id) : Promise.resolve(badId("delivery"));
}

const actionsOf = (deps: DestinationsDeps): Record<string, Action> => ({
  "POST /v1/destinations": async (req) => {
    const body = jsonBody(req);
    if (!body.ok) return body.response;
    return answer(await createDestination(req.tenantId, body.value, deps), 201, "destination");
  },
  "GET /v1/destinations": async (req) => {
    const params = queryParams(req.event);
    const unknown = Object.keys(params);
    if (unknown.length > 0) {
      return invalid({
        message: "The query parameters are invalid",
        details: unknown.map((path) => ({ path, message: "is not a known parameter" })),
      });
    }
    return json(200, await listDestinations(req.tenantId, deps));
  },
  "GET /v1/destinations/{id}": withDestination(async (req, id) =>
    answer(await getDestination(req.tenantId, id, deps), 200, "destination"),
  ),
  "PATCH /v1/destinations/{id}": withDestination(async (req, id) => {
    const body = jsonBody(req);
    if (!body.ok) return body.response;
    return answer(await patchDestination(req.tenantId, id, body.value, deps), 200, "destination");
  }),
  "DELETE /v1/destinations/{id}": withDestination(async (req, id) => {
    const r = await deleteDestination(req.tenantId, id, deps);
    return r.kind === "ok" ? json(200, { id, deleted: true }) : answer(r, 200, "destination");
  }),
  "POST /v1/destinations/{id}/rotate-secret": withDestination(async (req, id) => {
    const body = jsonBody(req, true);
    if (!body.ok) return body.response;
    return answer(await rotateSecret(req.tenantId, id, body.value, deps), 200, "destination");
  }),
  "POST /v1/destinations/{id}/replay": withDestination(async (req, id) => {
    const body = jsonBody(req);
    if (!body.ok) return body.response;
    const r = await replayToDestination(req.tenantId, id, body.value, deps);
    const dry = r.kind === "ok" && (r.value as { dryRun?: boolean }).dryRun;
    return answer(r, dry ? 200 : 202, "destination");
  }),
  "GET /v1/deliveries": async (req) => {
    try {
      const r = await listDeliveries(req.tenantId, queryParams(req.event), deps);
      return r.kind === "invalid" ? invalid(r) : json(200, r.value);
    } catch (error) {
      if (error instanceof InvalidDeliveryCursorError)
        return httpError(400, "invalid_cursor", "The cursor is not valid for this list");
      throw error;
    }
  },
  "GET /v1/deliveries/{id}": withDelivery(async (req, id) => {
    const record = await deps.log.get(req.tenantId, id);
    return record ? json(200, record) : httpError(404, "not_found", "No delivery has this id");
  }),
  "POST /v1/deliveries/{id}/retry": withDelivery(async (req, id) =>
    answer(await retryDelivery(req.tenantId, id, deps), 202, "delivery"),
  ),
});

export function createDestinationsHandler(deps: DestinationsHandlerDeps) {
  const actions = actionsOf(deps);
  return httpHandler(async (req) => {
    const match = matchRoute(req.event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const action = actions[`${match.route.method} ${match.route.path}`];
    if (!action) throw new Error(`route ${match.route.path} has no action`);
    return action(req, match.params);
  }, deps.http);
}
