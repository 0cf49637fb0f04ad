/**
 * POST /v1/events: validate, enqueue, and answer per event. The rules live in
 * use-cases/ingest-events.ts; this file maps HTTP to it and back. `createIngestHandler`
 * takes its dependencies; `ingestDeps` builds them from an environment record and
 * clients (lambdas/entry/ingest.ts in Lambda, local/functions.ts locally).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { ENV } from "../../lib/contracts/environment.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import { CE_HEADER_PREFIX } from "../domain/cloudevents.js";
import type { BatchReceipt, BatchResult, Receipt } from "../openapi/schemas.js";
import type { EventQueue } from "../ports/event-store.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import {
  bodyText,
  type HttpConfig,
  type HttpResponse,
  header,
  httpConfig,
  httpError,
  httpHandler,
  json,
} from "../shared/http.js";
import { logger, metrics } from "../shared/powertools.js";
import { type EventOutcome, type IngestResult, ingestEvents } from "../use-cases/ingest-events.js";

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

const REFUSAL_STATUS = {
  unsupported_media_type: 415,
  empty_body: 400,
  invalid_json: 400,
  payload_too_large: 413,
  validation_failed: 400,
} as const;

export const createIngestHandler = ({ queue, http }: IngestDeps) =>
  httpHandler(async ({ event, context, tenantId, correlationId }) => {
    const body = bodyText(event);
    const ceHeaders = ceHeadersOf(event);
    const binaryMode = Object.keys(ceHeaders).length > 0;
    const result = await ingestEvents(
      {
        contentType: header(event, "content-type"),
        body: body.ok ? body.text : undefined,
        undecodable: !body.ok,
        ceHeaders,
        // Only a binary-mode CloudEvent needs the bytes (its data may be any bytes).
        ...(binaryMode ? { bodyBytes: bodyBytesOf(event) } : {}),
        tenantId,
        correlationId,
        receivedAt: new Date().toISOString(),
      },
      { queue, count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
    );
    return present(result, context.awsRequestId);
  }, http);

/** The `ce-*` headers of a request, names lower-cased (a CloudEvent in binary mode). */
function ceHeadersOf(event: APIGatewayProxyEvent): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const key = name.toLowerCase();
    if (key.startsWith(CE_HEADER_PREFIX) && value !== undefined) found[key] = value;
  }
  return found;
}

const bodyBytesOf = (event: APIGatewayProxyEvent): Buffer | undefined =>
  event.body === null || event.body === undefined
    ? undefined
    : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");

function present(result: IngestResult, requestId: string): HttpResponse {
  if (result.kind === "refused") {
    const { reason, message, details } = result;
    return httpError(REFUSAL_STATUS[reason], reason, message, details ? { details } : {});
  }
  const unavailable = () =>
    httpError(503, "queue_unavailable", "Events could not be queued; retry later", { requestId });
  if (result.kind === "single") {
    const { outcome } = result;
    if (outcome.status === "queued") {
      const { id, ceId } = outcome;
      return json(202, { id, ...(ceId ? { ceId } : {}), status: "queued" } satisfies Receipt);
    }
    if (outcome.status === "failed") return unavailable();
    const [first] = outcome.errors;
    return outcome.tooLarge
      ? httpError(413, "payload_too_large", first?.message ?? "Event is too large")
      : httpError(400, "validation_failed", "The event is invalid", { details: outcome.errors });
  }
  const n = (status: EventOutcome["status"]) =>
    result.outcomes.filter((o) => o.status === status).length;
  const results = result.outcomes.map(receipt);
  // An empty CloudEvents batch is valid (JSON batch format §4): nothing to queue.
  const empty = result.outcomes.length === 0;
  if (!empty && n("rejected") === result.outcomes.length) {
    const details = result.outcomes.flatMap((o) => (o.status === "rejected" ? o.errors : []));
    // Too large, every one of them: the same answer a single oversized event gets.
    const tooLarge = result.outcomes.every((o) => o.status === "rejected" && o.tooLarge);
    return tooLarge
      ? httpError(413, "payload_too_large", "Every event in the batch is too large", { details })
      : httpError(400, "validation_failed", "Every event in the batch was rejected", { details });
  }
  // Nothing reached the queue: the client must retry the accepted events.
  if (!empty && n("queued") === 0) {
    return json(503, { ...(unavailable().body as object), results });
  }
  return json(202, {
    accepted: n("queued"),
    rejected: n("rejected"),
    failed: n("failed"),
    results,
  } satisfies BatchReceipt);
}

/** Typed by the OpenAPI description's schema (openapi/schemas.ts). */
function receipt(o: EventOutcome): BatchResult {
  switch (o.status) {
    case "queued":
      return { index: o.index, id: o.id, ...(o.ceId ? { ceId: o.ceId } : {}), status: o.status };
    case "rejected":
      return { index: o.index, status: o.status, errors: o.errors };
    case "failed":
      return {
        index: o.index,
        id: o.id,
        ...(o.ceId ? { ceId: o.ceId } : {}),
        status: o.status,
        reason: o.reason,
      };
  }
}
