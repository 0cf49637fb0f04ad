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
import type { SchemaChecker, SchemaVerdict } from "./schema-gate.js";

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
  | { index: number; status: "queued"; id: string; ceId?: string; quarantined?: true }
  | { index: number; status: "rejected"; errors: FieldError[]; tooLarge: boolean; schema?: true }
  | { index: number; status: "failed"; id: string; ceId?: string; reason: string };

export type RefusalReason =
  | "unsupported_media_type"
  | "empty_body"
  | "invalid_json"
  | "payload_too_large"
  | "validation_failed"
  | "schema_violation";

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
  /** The schema registry's verdicts (use-cases/schema-gate.ts); absent: nothing checked. */
  schemas?: SchemaChecker;
}

/** An event that passed its checks, with what the schema registry stamped on it. */
interface Admitted {
  index: number;
  event: AcceptedEvent;
  schema?: QueuedEvent["schema"];
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
  if (deps.schemas) {
    const schemaRejected = outcomes.filter((o) => o.status === "rejected" && o.schema).length;
    const refusedBySchema = result.kind === "refused" && result.reason === "schema_violation";
    count(METRIC.schemaRejected, refusedBySchema ? 1 : schemaRejected);
    count(
      METRIC.schemaQuarantined,
      outcomes.filter((o) => o.status === "queued" && o.quarantined).length,
    );
  }
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
  const [verdict] = deps.schemas
    ? await deps.schemas.check(req.tenantId, [{ event, prefix: "" }])
    : [undefined];
  if (verdict?.kind === "reject") {
    return refuse("schema_violation", "The event does not match its type's schema", verdict.errors);
  }
  const [outcome] = await enqueue([{ index: 0, event, ...stamp(verdict) }], req, deps);
  return { kind: "single", outcome: outcome as EventOutcome } as const;
}

async function batch(
  checked: Checked[],
  req: IngestRequest,
  deps: IngestDeps,
): Promise<IngestResult> {
  const newId = deps.newId ?? uuidv7;
  const outcomes: (EventOutcome | undefined)[] = [];
  const valid: { index: number; event: AcceptedEvent }[] = [];
  checked.forEach((c, index) => {
    if (c.ok) valid.push({ index, event: withId(c.event, newId) });
    else outcomes[index] = { index, status: "rejected", ...c };
  });
  const verdicts = deps.schemas
    ? await deps.schemas.check(
        req.tenantId,
        valid.map(({ index, event }) => ({ event, prefix: `events[${index}]` })),
      )
    : [];
  const accepted: Admitted[] = [];
  valid.forEach((item, i) => {
    const verdict = verdicts[i];
    if (verdict?.kind === "reject") {
      outcomes[item.index] = {
        index: item.index,
        status: "rejected",
        errors: verdict.errors,
        tooLarge: false,
        schema: true,
      };
    } else accepted.push({ ...item, ...stamp(verdict) });
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

/** What a verdict adds to the queued message: the version, and the violations if quarantined. */
function stamp(verdict: SchemaVerdict | undefined): { schema?: QueuedEvent["schema"] } {
  if (verdict?.kind === "pass" && verdict.version !== undefined) {
    return { schema: { version: verdict.version } };
  }
  if (verdict?.kind === "quarantine") {
    return { schema: { version: verdict.version, violations: verdict.violations } };
  }
  return {};
}

async function enqueue(
  items: Admitted[],
  req: IngestRequest,
  deps: IngestDeps,
): Promise<EventOutcome[]> {
  if (items.length === 0) return [];
  const messages: QueuedEvent[] = items.map(({ event, schema }) => ({
    v: 1,
    tenantId: req.tenantId,
    receivedAt: req.receivedAt,
    correlationId: req.correlationId,
    event,
    ...(schema ? { schema } : {}),
  }));
  const { queued, failed } = await deps.queue.enqueue(messages);
  const queuedSet = new Set(queued);
  const reasons = new Map(failed.map((f) => [f.index, f.reason]));
  // Only what the queue confirmed is "queued"; anything it did not account for failed.
  return items.map(({ index, event, schema }, i): EventOutcome => {
    const ids = { id: event.id, ...(event.cloudEvent ? { ceId: event.cloudEvent.id } : {}) };
    return queuedSet.has(i) && !reasons.has(i)
      ? { index, status: "queued", ...ids, ...(schema?.violations ? { quarantined: true } : {}) }
      : { index, status: "failed", ...ids, reason: reasons.get(i) ?? "not confirmed by the queue" };
  });
}
