/**
 * POST /v1/failed/replay: re-enqueue selected failed events (use-cases/replay-failed.ts).
 * Answers 200 with the selection for a dry run, 202 with what was enqueued otherwise,
 * 400 with field errors for a bad request, 503 when nothing armed could be enqueued.
 *
 * Least privilege (lib/constructs/api.ts): Query on the failed index, GetItem and
 * UpdateItem on the table, SendMessage on the queue; no PutItem, no DeleteItem.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../../lib/contracts/environment.js";
import { ROUTES } from "../../lib/contracts/functions.js";
import { METRIC } from "../../lib/contracts/observability.js";
import { DynamoDbReplayRecorder } from "../adapters/dynamodb-replay-recorder.js";
import { SqsEventQueue } from "../adapters/sqs-event-queue.js";
import type { EventQueue } from "../ports/event-store.js";
import type { FailedEventReader, ReplayRecorder } from "../ports/failed-events.js";
import type { SecretReader } from "../ports/secrets.js";
import { type EnvRecord, envVars, parseEnv } from "../shared/env.js";
import {
  bodyText,
  type HttpConfig,
  httpConfig,
  httpError,
  httpHandler,
  json,
  matchRoute,
  unmatchedRoute,
} from "../shared/http.js";
import { logger, metrics } from "../shared/powertools.js";
import { parseReplayRequest, replayFailed, type Skipped } from "../use-cases/replay-failed.js";
import { type SchemaChecker, SchemaLookupError } from "../use-cases/schema-gate.js";
import { schemaGateFrom } from "./schema-wiring.js";
import { eventReaderFrom } from "./store-wiring.js";

export interface ReplayDeps {
  reader: FailedEventReader;
  recorder: ReplayRecorder;
  queue: EventQueue;
  http: HttpConfig;
  /** The schema registry: replayed events are validated again. */
  schemas?: SchemaChecker;
}

export function replayDeps(
  env: EnvRecord,
  clients: {
    dynamodb: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
    sqs: SQSClient;
    secrets: SecretReader;
  },
): ReplayDeps {
  const config = parseEnv(
    {
      [ENV.tableName]: envVars[ENV.tableName],
      [ENV.queueUrl]: envVars[ENV.queueUrl],
    },
    env,
  );
  return {
    reader: eventReaderFrom(env, clients, {
      // A replay call selects up to 1000 events: read more of the index per request than a
      // 100-item list page needs before answering with a short page and a cursor (16 reads
      // of at most 1 MB each, as before the byte bound; the route needs the admin scope).
      maxRounds: 16,
      filteredReadSize: 500,
      maxReadBytes: 16 * 1024 * 1024,
    }),
    recorder: new DynamoDbReplayRecorder(clients.documentClient, {
      tableName: config[ENV.tableName],
    }),
    queue: new SqsEventQueue(clients.sqs, config[ENV.queueUrl], {
      onError: (message, detail) => logger.error(message, detail),
    }),
    http: httpConfig(env),
    schemas: schemaGateFrom(env, clients.documentClient),
  };
}

const routes = ROUTES.filter((r) => r.function === "replay");

export const createReplayHandler = ({ reader, recorder, queue, http, schemas }: ReplayDeps) =>
  httpHandler(async ({ event, context, tenantId, keyId }) => {
    const match = matchRoute(event, routes);
    if (match.kind !== "matched") return unmatchedRoute(match);
    // Replay changes state for the whole tenant: the route needs the admin scope (ROUTES),
    // which the authorizer's policy and httpHandler both enforce (403 without it).

    const body = bodyText(event);
    const now = new Date();
    const parsed = parseReplayRequest(body.ok ? body.text : undefined, now);
    if (parsed.kind === "invalid") {
      return httpError(400, "validation_failed", parsed.message, { details: parsed.details });
    }
    const { request } = parsed;
    const requestId = context.awsRequestId;
    let result: Awaited<ReturnType<typeof replayFailed>>;
    try {
      result = await replayFailed(tenantId, request, {
        reader,
        recorder,
        queue,
        requestId,
        now: () => now,
        ...(schemas ? { schemas } : {}),
      });
    } catch (error) {
      if (!(error instanceof SchemaLookupError)) throw error;
      // Replayed events are validated again: without their schemas nothing is replayed.
      logger.error("The schema registry could not be read", { error: error.cause });
      return httpError(503, "schemas_unavailable", "Event schemas could not be read; retry later");
    }
    if (result.kind === "invalid") {
      return httpError(400, "validation_failed", result.message, { details: result.details });
    }
    if (result.kind === "invalid_cursor") {
      return httpError(400, "invalid_cursor", `The ${result.message}`);
    }
    const more = result.nextCursor ? { nextCursor: result.nextCursor } : {};
    const { ids: _ids, cursor: _cursor, ...filters } = request;
    if (result.kind === "dry_run") {
      logger.info("Replay dry run", { tenantId, filters, count: result.events.length });
      return json(200, {
        dryRun: true,
        count: result.events.length,
        events: result.events,
        skipped: result.skipped,
        ...more,
      });
    }
    // The audit line: who asked (tenant and key id), what was selected, what was enqueued.
    logger.info("Replay", {
      tenantId,
      keyId,
      replayRequestId: requestId,
      filters,
      ids: request.ids?.length,
      replayed: result.ids.length,
      skipped: countBy(result.skipped),
    });
    metrics.addMetric(METRIC.eventsReplayed, MetricUnit.Count, result.ids.length);
    if (result.armed > 0 && result.ids.length === 0) {
      const error = httpError(503, "queue_unavailable", "No event could be queued; retry later", {
        requestId,
      });
      return json(503, { ...(error.body as object), skipped: result.skipped });
    }
    return json(202, {
      replayed: result.ids.length,
      ids: result.ids,
      skipped: result.skipped,
      requestId,
      ...more,
    });
  }, http);

function countBy(skipped: Skipped[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  return counts;
}
