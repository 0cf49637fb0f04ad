/**
 * Ingest: turn a request body into queued events, one answer per event.
 *
 * A request is refused as a whole (nothing enqueued) when it is not JSON we accept: wrong
 * media type, empty, malformed, over 1 MB, more than 500 events, or a single event that
 * is invalid or over 64 KB. In a batch each event stands alone: an invalid or oversized
 * event is rejected in its own result entry and the others go ahead, so a client fixes
 * and resends only what was rejected (a 413 for the whole batch would make it resend
 * everything, and could not say which event was too big).
 *
 * Enqueue outcomes (batch): every event that reached SQS is "queued", every one that did
 * not is "failed" with a reason; the handler answers 503 when nothing reached the queue
 * and 202 with the per-event statuses otherwise.
 *
 * The request arrives decoded (lambdas/http/ingest-request.ts: media type, CloudEvents
 * HTTP binding mode, body, JSON, and each event checked against its format): a refusal,
 * one checked event or a batch of them. CloudEvents 1.0 follow the same rules as native
 * events: structured and binary mode are a single event, batched mode a batch.
 */

import { METRIC } from "../../lib/contracts/observability.js";
import type { Checked, CheckedEvent } from "../domain/check-event.js";
import type { AcceptedEvent, QueuedEvent } from "../domain/event.js";
import { uuidv7 } from "../domain/ids.js";
import type { FieldError } from "../domain/json.js";
import type { EventQueue } from "../ports/event-store.js";

/** A request the HTTP layer decoded: refused as a whole, one event, or a batch. */
export type IngestInput =
  | Refusal
  | { kind: "single"; event: Checked }
  | { kind: "batch"; events: Checked[] };

export interface IngestRequest {
  input: IngestInput;
  tenantId: string;
  correlationId: string;
  /** One timestamp for the whole request. */
  receivedAt: string;
}

/** `ceId`: the producer's id of a CloudEvent (`id` is the stored id derived from it). */
export type EventOutcome =
  | { index: number; status: "queued"; id: string; ceId?: string }
  | { index: number; status: "rejected"; errors: FieldError[]; tooLarge: boolean }
  | { index: number; status: "failed"; id: string; ceId?: string; reason: string };

export type RefusalReason =
  | "unsupported_media_type"
  | "empty_body"
  | "invalid_json"
  | "payload_too_large"
  | "validation_failed";

export interface Refusal {
  kind: "refused";
  reason: RefusalReason;
  message: string;
  details?: FieldError[];
}

export type IngestResult =
  | Refusal
  | { kind: "single"; outcome: EventOutcome }
  | { kind: "batch"; outcomes: EventOutcome[] };

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface IngestDeps {
  queue: EventQueue;
  newId?: () => string;
  /** Adds to a count metric (no dimensions). */
  count?: (metric: MetricName, value: number) => void;
}

export async function ingestEvents(req: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const count = deps.count ?? (() => {});
  const result = await evaluate(req, deps);
  const outcomes = result.kind === "refused" ? [] : outcomesOf(result);
  const received = result.kind === "refused" ? 1 : outcomes.length;
  const tally = (status: EventOutcome["status"]) =>
    outcomes.filter((o) => o.status === status).length;
  count(METRIC.eventsReceived, received);
  count(METRIC.eventsRejected, result.kind === "refused" ? received : tally("rejected"));
  count(METRIC.eventsQueued, tally("queued"));
  count(METRIC.enqueueFailed, tally("failed"));
  return result;
}

const outcomesOf = (r: Exclude<IngestResult, { kind: "refused" }>) =>
  r.kind === "single" ? [r.outcome] : r.outcomes;

async function evaluate(req: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const { input } = req;
  if (input.kind === "refused") return input;
  if (input.kind === "single") return single(input.event, req, deps);
  return batch(input.events, req, deps);
}

async function single(checked: Checked, req: IngestRequest, deps: IngestDeps) {
  if (!checked.ok) {
    const [first] = checked.errors;
    return checked.tooLarge
      ? refuse("payload_too_large", first?.message ?? "Event is too large")
      : refuse("validation_failed", "The event is invalid", checked.errors);
  }
  const event = withId(checked.event, deps.newId ?? uuidv7);
  const [outcome] = await enqueue([{ index: 0, event }], req, deps);
  return { kind: "single", outcome: outcome as EventOutcome } as const;
}

async function batch(
  checked: Checked[],
  req: IngestRequest,
  deps: IngestDeps,
): Promise<IngestResult> {
  const newId = deps.newId ?? uuidv7;
  const outcomes: (EventOutcome | undefined)[] = [];
  const accepted: { index: number; event: AcceptedEvent }[] = [];
  checked.forEach((c, index) => {
    if (c.ok) accepted.push({ index, event: withId(c.event, newId) });
    else outcomes[index] = { index, status: "rejected", ...c };
  });
  for (const outcome of await enqueue(accepted, req, deps)) outcomes[outcome.index] = outcome;
  return { kind: "batch", outcomes: outcomes.filter((o) => o !== undefined) };
}

export const refuse = (
  reason: RefusalReason,
  message: string,
  details?: FieldError[],
): Refusal => ({
  kind: "refused",
  reason,
  message,
  ...(details ? { details } : {}),
});

const withId = (event: CheckedEvent, newId: () => string): AcceptedEvent => ({
  ...event,
  id: event.id ?? newId(),
});

async function enqueue(
  items: { index: number; event: AcceptedEvent }[],
  req: IngestRequest,
  deps: IngestDeps,
): Promise<EventOutcome[]> {
  if (items.length === 0) return [];
  const messages: QueuedEvent[] = items.map(({ event }) => ({
    v: 1,
    tenantId: req.tenantId,
    receivedAt: req.receivedAt,
    correlationId: req.correlationId,
    event,
  }));
  const { queued, failed } = await deps.queue.enqueue(messages);
  const queuedSet = new Set(queued);
  const reasons = new Map(failed.map((f) => [f.index, f.reason]));
  // Only what the queue confirmed is "queued"; anything it did not account for failed.
  return items.map(({ index, event }, i): EventOutcome => {
    const ids = { id: event.id, ...(event.cloudEvent ? { ceId: event.cloudEvent.id } : {}) };
    return queuedSet.has(i) && !reasons.has(i)
      ? { index, status: "queued", ...ids }
      : { index, status: "failed", ...ids, reason: reasons.get(i) ?? "not confirmed by the queue" };
  });
}
