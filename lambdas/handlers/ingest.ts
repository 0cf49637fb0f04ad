/**
 * POST /v1/events: decode (http/ingest-request.ts), validate and enqueue
 * (use-cases/ingest-events.ts), answer per event (http/ingest-response.ts). `createIngestHandler`
 * takes its dependencies; `ingestDeps` builds them from an environment record and
 * clients (lambdas/entry/ingest.ts in Lambda, local/functions.ts locally).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { decodeIngestRequest, rawIngestRequest } from "../http/ingest-request.js";
import { ingestResponse } from "../http/ingest-response.js";
import type { EventQueue } from "../ports/event-store.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { type HttpConfig, httpConfig, httpError, httpHandler } from "../shared/http.js";
import { logger, metrics } from "../shared/powertools.js";
import { ingestEvents } from "../use-cases/ingest-events.js";
import type { SchemaChecker } from "../use-cases/schema-gate.js";
import { SchemaLookupError } from "../use-cases/schema-gate.js";
import { schemaGateFrom } from "./schema-wiring.js";

export interface IngestDeps {
  queue: EventQueue;
  http: HttpConfig;
  /** The schema registry; absent: no schema is enforced (tests of ingest alone). */
  schemas?: SchemaChecker;
}

export function ingestDeps(
  env: EnvRecord,
  clients: { sqs: SQSClient; documentClient: DynamoDBDocumentClient },
): IngestDeps {
  const config = parseEnv({ [ENV.queueUrl]: envVars[ENV.queueUrl] }, env);
  return {
    queue: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    http: httpConfig(env),
    // Ingest stays available when the registry is not: uncached types pass unchecked,
    // counted (SchemaLookupFailed, alarmed) and logged.
    schemas: schemaGateFrom(env, clients.documentClient, (error) => {
      logger.error("The schema registry could not be read; events accepted unchecked", {
        error: error.cause,
      });
      metrics.addMetric(METRIC.schemaLookupFailed, MetricUnit.Count, 1);
    }),
  };
}

export const createIngestHandler = ({ queue, http, schemas }: IngestDeps) =>
  httpHandler(async ({ event, context, tenantId, correlationId }) => {
    // Like every other operation, an unknown query parameter is refused, not ignored: the
    // event says everything (the tenant comes only from the key).
    const parameters = Object.keys(event.queryStringParameters ?? {});
    if (parameters.length > 0) {
      return httpError(400, "validation_failed", "POST /v1/events takes no query parameters", {
        details: parameters.map((name) => ({ path: name, message: "is not a known parameter" })),
      });
    }
    const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
    try {
      const result = await ingestEvents(
        {
          input: decodeIngestRequest(rawIngestRequest(event)),
          tenantId,
          correlationId,
          receivedAt: new Date().toISOString(),
        },
        { queue, count, ...(schemas ? { schemas } : {}) },
      );
      return ingestResponse(result, context.awsRequestId);
    } catch (error) {
      if (!(error instanceof SchemaLookupError)) throw error;
      // Never "queued" unchecked: without its schema an event is not accepted.
      logger.error("The schema registry could not be read", { error: error.cause });
      count(METRIC.schemaLookupFailed, 1);
      return httpError(503, "schemas_unavailable", "Event schemas could not be read; retry later");
    }
  }, http);
