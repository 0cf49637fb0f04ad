/**
 * POST /v1/events: decode (http/ingest-request.ts), validate and enqueue
 * (use-cases/ingest-events.ts), answer per event (http/ingest-response.ts). `createIngestHandler`
 * takes its dependencies; `ingestDeps` builds them from an environment record and
 * clients (lambdas/entry/ingest.ts in Lambda, local/functions.ts locally).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { ENV } from "../../lib/contracts/environment.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { decodeIngestRequest, rawIngestRequest } from "../http/ingest-request.js";
import { ingestResponse } from "../http/ingest-response.js";
import type { EventQueue } from "../ports/event-store.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import { type HttpConfig, httpConfig, httpError, httpHandler } from "../shared/http.js";
import { logger, metrics } from "../shared/powertools.js";
import { ingestEvents } from "../use-cases/ingest-events.js";

export interface IngestDeps {
  queue: EventQueue;
  http: HttpConfig;
}

export function ingestDeps(env: EnvRecord, clients: { sqs: SQSClient }): IngestDeps {
  const config = parseEnv({ [ENV.queueUrl]: envVars[ENV.queueUrl] }, env);
  return {
    queue: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    http: httpConfig(env),
  };
}

export const createIngestHandler = ({ queue, http }: IngestDeps) =>
  httpHandler(async ({ event, context, tenantId, correlationId }) => {
    // Like every other operation, an unknown query parameter is refused, not ignored: the
    // event says everything (the tenant comes only from the key).
    const parameters = Object.keys(event.queryStringParameters ?? {});
    if (parameters.length > 0) {
      return httpError(400, "validation_failed", "POST /v1/events takes no query parameters", {
        details: parameters.map((name) => ({ path: name, message: "is not a known parameter" })),
      });
    }
    const result = await ingestEvents(
      {
        input: decodeIngestRequest(rawIngestRequest(event)),
        tenantId,
        correlationId,
        receivedAt: new Date().toISOString(),
      },
      { queue, count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
    );
    return ingestResponse(result, context.awsRequestId);
  }, http);
