/**
 * The answers of POST /v1/events: an ingest result (use-cases/ingest-events.ts) as an
 * HTTP status and body, typed by the OpenAPI description's schemas.
 */
import type { HttpResponse } from "../shared/http.js";
import { httpError, json } from "../shared/http.js";
import type { EventOutcome, IngestResult } from "../use-cases/ingest-events.js";
import type { BatchReceipt, BatchResult, Receipt } from "./openapi-schemas.js";

const REFUSAL_STATUS = {
  unsupported_media_type: 415,
  empty_body: 400,
  invalid_json: 400,
  payload_too_large: 413,
  validation_failed: 400,
  schema_violation: 400,
} as const;

export function ingestResponse(result: IngestResult, requestId: string): HttpResponse {
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

/** Typed by the OpenAPI description's schema (openapi-schemas.ts). */
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
