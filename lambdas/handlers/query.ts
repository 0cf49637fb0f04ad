/**
 * The read API: GET /v1/events/{id}, /v1/events, /v1/stats, /v1/health, /v1/failed and
 * /v1/openapi.json (routes from lib/contracts/functions.ts). Rules live in use-cases/query-events.ts
 * and check-health.ts; the OpenAPI description in http/openapi-document.ts.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { DynamoDbSchemaStore } from "../adapters/dynamodb-schema-store.js";
import { SqsQueueProbe } from "../adapters/sqs-event-queue.js";
import { CLOUDEVENT_MEDIA_TYPE, toCloudEvent } from "../domain/cloudevents.js";
import { prefersCloudEvent } from "../http/cloudevents-binding.js";
import { loadOpenApiDocument } from "../http/openapi-document-loader.js";
import { openApiQuerySchema } from "../http/openapi-query.js";
import { withTenantTypes } from "../http/openapi-tenant.js";
import type { EventReader, QueueProbe } from "../ports/event-store.js";
import type { FailedEventReader } from "../ports/failed-events.js";
import type { SchemaStore } from "../ports/schema-store.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import {
  type HttpConfig,
  type HttpRequest,
  type HttpResponse,
  header,
  httpConfig,
  httpError,
  httpHandler,
  json,
  matchRoute,
  queryParams,
  unmatchedRoute,
} from "../shared/http.js";
import { logger } from "../shared/powertools.js";
import { type CheckResult, checkHealth, type HealthReport } from "../use-cases/check-health.js";
import { listFailedEvents } from "../use-cases/failed-events.js";
import { eventStats, getEvent, listEvents, parseParams } from "../use-cases/query-events.js";
import { eventReaderFrom } from "./store-wiring.js";

export interface QueryDeps {
  reader: EventReader & FailedEventReader;
  queue: QueueProbe;
  dlq: QueueProbe;
  http: HttpConfig;
  /** The schema registry: GET /v1/openapi.json?include=schemas lists the tenant's types. */
  schemas?: Pick<SchemaStore, "listSubjects">;
}

export function queryDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    sqs: SQSClient;
    secrets: SecretReader;
  },
): QueryDeps {
  const config = parseEnv(
    {
      [ENV.queueUrl]: envVars[ENV.queueUrl],
      [ENV.dlqUrl]: envVars[ENV.dlqUrl],
      [ENV.configTableName]: envVars[ENV.configTableName],
    },
    env,
  );
  return {
    reader: eventReaderFrom(env, clients),
    queue: new SqsQueueProbe(clients.sqs, config[ENV.queueUrl]),
    dlq: new SqsQueueProbe(clients.sqs, config[ENV.dlqUrl]),
    http: httpConfig(env),
    schemas: new DynamoDbSchemaStore(clients.documentClient, config[ENV.configTableName]),
  };
}

const routes = ROUTES.filter((r) => r.function === "query");

type Action = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;

const invalid = (r: { message: string; details: { path: string; message: string }[] }) =>
  httpError(400, "validation_failed", r.message, { details: r.details });

const actionsOf = ({ reader, queue, dlq, schemas }: QueryDeps): Record<string, Action> => ({
  "/v1/events/{id}": async ({ tenantId, event }, { id }) => {
    const r = await getEvent(tenantId, id, reader);
    if (r.kind === "invalid") return invalid(r);
    if (r.kind !== "found") return httpError(404, "not_found", "No event has this id");
    // Content negotiation: the event as a structured-mode CloudEvent on request.
    return prefersCloudEvent(header(event, "accept"))
      ? json(200, toCloudEvent(r.event), {
          "Content-Type": `${CLOUDEVENT_MEDIA_TYPE}; charset=utf-8`,
          Vary: "Accept",
        })
      : json(200, r.event, { Vary: "Accept" });
  },
  "/v1/openapi.json": async ({ tenantId, event }) => {
    const parsed = parseParams(openApiQuerySchema, queryParams(event));
    if (parsed.kind === "invalid") return invalid(parsed);
    const { openApiDocument } = await loadOpenApiDocument();
    if (parsed.value.include !== "schemas" || !schemas) {
      return json(200, openApiDocument(), { "Cache-Control": "public, max-age=300" });
    }
    const types = (await schemas.listSubjects(tenantId))
      .filter((s) => !s.subject.deletedAt)
      .map((s) => ({
        type: s.subject.type,
        version: s.latest.version,
        schema: s.latest.schema.data,
      }));
    // The tenant's own document: never shared by a cache.
    return json(200, withTenantTypes(openApiDocument(), types));
  },
  "/v1/events": async ({ tenantId, event }) => {
    const r = await listEvents(tenantId, queryParams(event), reader);
    if (r.kind === "invalid") return invalid(r);
    if (r.kind === "invalid_cursor") return httpError(400, "invalid_cursor", `The ${r.message}`);
    return json(200, r.page);
  },
  "/v1/failed": async ({ tenantId, event }) => {
    const r = await listFailedEvents(tenantId, queryParams(event), reader);
    if (r.kind === "invalid") return invalid(r);
    if (r.kind === "invalid_cursor") return httpError(400, "invalid_cursor", `The ${r.message}`);
    return json(200, r.page);
  },
  "/v1/stats": async ({ tenantId, event }) => {
    const r = await eventStats(tenantId, queryParams(event), reader);
    return r.kind === "invalid" ? invalid(r) : json(200, r.report);
  },
  "/v1/health": async () => {
    const onError = (check: string, error: unknown) =>
      logger.error("Health check failed", { check, error });
    const report = await checkHealth({ reader, queue, dlq, onError });
    // Queue depths count every tenant's messages: an API key sees whether each part
    // answers, never the platform's volume (operators read depths on the dashboard).
    const bare = (c: CheckResult): CheckResult =>
      c.status === "ok" ? { status: c.status, latencyMs: c.latencyMs } : c;
    const { table, queue: q, dlq: d } = report.checks;
    const answer: HealthReport = {
      status: report.status,
      checks: { table: bare(table), queue: bare(q), dlq: bare(d) },
    };
    return json(report.status === "ok" ? 200 : 503, answer);
  },
});

export function createQueryHandler(deps: QueryDeps) {
  const actions = actionsOf(deps);
  return httpHandler(async (req) => {
    const match = matchRoute(req.event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    const action = actions[match.route.path];
    if (!action) throw new Error(`route ${match.route.path} has no action`);
    return action(req, match.params);
  }, deps.http);
}
