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
 */
import {
  type AcceptedEvent,
  type IncomingEvent,
  incomingEventSchema,
  LIMITS,
  type QueuedEvent,
} from "../domain/event.js";
import { uuidv7 } from "../domain/ids.js";
import {
  type FieldError,
  inspect,
  isPlainObject,
  joinPath,
  parseJson,
  RESERVED_KEYS,
} from "../domain/json.js";
import type { EventQueue } from "../ports/event-store.js";
import { METRIC } from "../shared/powertools.js";

/**
 * Media types accepted on POST /v1/events (parameters aside). CloudEvents structured
 * mode (application/cloudevents+json, application/cloudevents-batch+json) slots in
 * here once its envelope is mapped.
 */
export const ACCEPTED_MEDIA_TYPES: ReadonlySet<string> = new Set(["application/json"]);
const ACCEPTED_CHARSETS: ReadonlySet<string> = new Set(["utf-8", "utf8"]);

export interface IngestRequest {
  contentType: string | undefined;
  /** The decoded body text; undefined when the request had none. */
  body: string | undefined;
  /** The body arrived base64-encoded and is not UTF-8. */
  undecodable?: boolean;
  tenantId: string;
  correlationId: string;
  /** One timestamp for the whole request. */
  receivedAt: string;
}

export type EventOutcome =
  | { index: number; status: "queued"; id: string }
  | { index: number; status: "rejected"; errors: FieldError[]; tooLarge: boolean }
  | { index: number; status: "failed"; id: string; reason: string };

export type RefusalReason =
  | "unsupported_media_type"
  | "empty_body"
  | "invalid_json"
  | "payload_too_large"
  | "validation_failed";

export type IngestResult =
  | { kind: "refused"; reason: RefusalReason; message: string; details?: FieldError[] }
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
  if (!isAcceptedMediaType(req.contentType)) {
    return refuse(
      "unsupported_media_type",
      `Content-Type must be ${[...ACCEPTED_MEDIA_TYPES].join(" or ")} (UTF-8)`,
    );
  }
  if (req.undecodable) return refuse("invalid_json", "Body is not valid UTF-8");
  const body = req.body ?? "";
  if (body.trim() === "") return refuse("empty_body", "Request body is empty");
  const bytes = Buffer.byteLength(body);
  if (bytes > LIMITS.maxBodyBytes) {
    return refuse(
      "payload_too_large",
      `Request body is ${bytes} bytes; the limit is ${LIMITS.maxBodyBytes}`,
    );
  }
  const parsed = parseJson(body);
  if (!parsed.ok) {
    return refuse(
      parsed.reason === "syntax" ? "invalid_json" : "validation_failed",
      parsed.message,
    );
  }
  const root = parsed.value;
  if (!isPlainObject(root)) {
    return refuse(
      "validation_failed",
      'Body must be a JSON object: one event, or {"events": [...]}',
    );
  }
  const newId = deps.newId ?? uuidv7;
  if (!Object.hasOwn(root, "events")) {
    const checked = checkEvent(root, "");
    if (!checked.ok) {
      const [first] = checked.errors;
      return checked.tooLarge
        ? refuse("payload_too_large", first?.message ?? "Event is too large")
        : refuse("validation_failed", "The event is invalid", checked.errors);
    }
    const [outcome] = await enqueue([{ index: 0, event: withId(checked.event, newId) }], req, deps);
    return { kind: "single", outcome: outcome as EventOutcome };
  }
  const envelope = checkEnvelope(root);
  if (envelope.kind === "refused") return envelope;
  const outcomes: (EventOutcome | undefined)[] = [];
  const accepted: { index: number; event: AcceptedEvent }[] = [];
  envelope.events.forEach((raw, index) => {
    const checked = checkEvent(raw, `events[${index}]`);
    if (checked.ok) accepted.push({ index, event: withId(checked.event, newId) });
    else outcomes[index] = { index, status: "rejected", ...checked };
  });
  for (const outcome of await enqueue(accepted, req, deps)) outcomes[outcome.index] = outcome;
  return { kind: "batch", outcomes: outcomes.filter((o) => o !== undefined) };
}

const refuse = (
  reason: RefusalReason,
  message: string,
  details?: FieldError[],
): IngestResult & { kind: "refused" } => ({
  kind: "refused",
  reason,
  message,
  ...(details ? { details } : {}),
});

export function isAcceptedMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type = "", ...params] = contentType.split(";");
  if (!ACCEPTED_MEDIA_TYPES.has(type.trim().toLowerCase())) return false;
  return params.every((param) => {
    const [name = "", value = ""] = param.split("=");
    if (name.trim().toLowerCase() !== "charset") return true;
    return ACCEPTED_CHARSETS.has(value.trim().replace(/^"|"$/g, "").toLowerCase());
  });
}

function checkEnvelope(
  root: Record<string, unknown>,
): { kind: "ok"; events: unknown[] } | (IngestResult & { kind: "refused" }) {
  const unknown = Object.keys(root).filter((k) => k !== "events");
  if (unknown.length > 0) {
    return refuse(
      "validation_failed",
      'A batch body is {"events": [...]} and nothing else',
      unknown.map((k) => ({
        path: joinPath("", k),
        message: RESERVED_KEYS.has(k) ? "is a reserved key name" : "is not allowed",
      })),
    );
  }
  const { events } = root;
  if (!Array.isArray(events) || events.length === 0) {
    const message = `must be an array of 1 to ${LIMITS.maxBatchEvents} events`;
    return refuse("validation_failed", `events ${message}`, [{ path: "events", message }]);
  }
  if (events.length > LIMITS.maxBatchEvents) {
    return refuse(
      "payload_too_large",
      `A batch holds at most ${LIMITS.maxBatchEvents} events; this one has ${events.length}`,
    );
  }
  return { kind: "ok", events };
}

type Checked =
  | { ok: true; event: IncomingEvent }
  | { ok: false; errors: FieldError[]; tooLarge: boolean };

/** Size, then structure (reserved keys, numbers, depth), then the schema. */
function checkEvent(raw: unknown, prefix: string): Checked {
  const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
  if (size > LIMITS.maxEventBytes) {
    const message = `Event is ${size} bytes serialized; the limit is ${LIMITS.maxEventBytes}`;
    return { ok: false, tooLarge: true, errors: [{ path: prefix, message }] };
  }
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      tooLarge: false,
      errors: [{ path: prefix, message: "must be a JSON object" }],
    };
  }
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const path = joinPath(prefix, key);
    if (RESERVED_KEYS.has(key)) {
      errors.push({ path, message: "is a reserved key name" });
      continue;
    }
    const found = inspect(value, path, LIMITS.maxDataDepth);
    errors.push(...found.errors);
    if (found.tooDeep) {
      errors.push({ path, message: `is nested deeper than ${LIMITS.maxDataDepth} levels` });
    }
  }
  const parsed = incomingEventSchema.safeParse(raw);
  if (parsed.success && errors.length === 0) return { ok: true, event: parsed.data };
  const seen = new Set(errors.map((e) => e.path));
  for (const issue of parsed.error?.issues ?? []) {
    const at = issue.path.reduce<string>(
      (p, s) => joinPath(p, typeof s === "number" ? s : String(s)),
      prefix,
    );
    const found =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((k) => ({ path: joinPath(at, k), message: "is not a known field" }))
        : [{ path: at, message: issue.message }];
    for (const e of found) {
      if (!seen.has(e.path)) errors.push(e);
      seen.add(e.path);
    }
  }
  return { ok: false, tooLarge: false, errors };
}

const withId = (event: IncomingEvent, newId: () => string): AcceptedEvent => ({
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
  return items.map(
    ({ index, event }, i): EventOutcome =>
      queuedSet.has(i) && !reasons.has(i)
        ? { index, status: "queued", id: event.id }
        : {
            index,
            status: "failed",
            id: event.id,
            reason: reasons.get(i) ?? "not confirmed by the queue",
          },
  );
}
