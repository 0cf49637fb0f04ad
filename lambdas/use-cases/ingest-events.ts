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
 * CloudEvents 1.0 (domain/cloudevents.ts) follow the same rules: structured mode is a
 * single event, batched mode a batch (a JSON array), binary mode (ce-* headers) a single
 * event whose body is the data. The HTTP binding picks the mode from Content-Type.
 */

import { METRIC } from "../../lib/contracts/observability.js";
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  checkBinaryCloudEvent,
  checkCloudEvent,
  mediaTypeOf,
} from "../domain/cloudevents.js";
import {
  type AcceptedEvent,
  type CloudEventMeta,
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
  limitErrors,
  parseJson,
  RESERVED_KEYS,
} from "../domain/json.js";
import type { EventQueue } from "../ports/event-store.js";

/**
 * Media types accepted on POST /v1/events (parameters aside): native events, and
 * CloudEvents in structured and batched mode. A CloudEvent in binary mode may have any
 * Content-Type (its datacontenttype).
 */
export const ACCEPTED_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/json",
  CLOUDEVENT_MEDIA_TYPE,
  CLOUDEVENT_BATCH_MEDIA_TYPE,
]);
const ACCEPTED_CHARSETS: ReadonlySet<string> = new Set(["utf-8", "utf8"]);

export interface IngestRequest {
  contentType: string | undefined;
  /** The decoded body text; undefined when the request had none. */
  body: string | undefined;
  /** The body arrived base64-encoded and is not UTF-8. */
  undecodable?: boolean;
  /** `ce-*` headers (names lower-cased): a CloudEvent in binary mode. */
  ceHeaders?: Record<string, string>;
  /** The body's bytes: the data of a binary-mode CloudEvent may be any bytes. */
  bodyBytes?: Uint8Array;
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

type Mode = "native" | "structured" | "batch" | "binary";

/** HTTP binding §3: Content-Type picks structured or batched mode; ce-* headers binary. */
function modeOf(req: IngestRequest): Mode | undefined {
  const type = mediaTypeOf(req.contentType);
  if (type === CLOUDEVENT_MEDIA_TYPE) return "structured";
  if (type === CLOUDEVENT_BATCH_MEDIA_TYPE) return "batch";
  // Other event formats (application/cloudevents+avro, ...) are not supported.
  if (type.startsWith("application/cloudevents")) return undefined;
  if (Object.keys(req.ceHeaders ?? {}).length > 0) return "binary";
  return type === "application/json" ? "native" : undefined;
}

async function evaluate(req: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const mode = modeOf(req);
  if (!mode || (mode !== "binary" && !isAcceptedMediaType(req.contentType))) {
    return refuse(
      "unsupported_media_type",
      `Content-Type must be ${[...ACCEPTED_MEDIA_TYPES].join(", ")} (UTF-8), or a CloudEvent in binary mode (ce-* headers)`,
    );
  }
  if (mode === "binary") return evaluateBinary(req, deps);
  if (req.undecodable) {
    return refuse(
      "invalid_json",
      "Body is not valid UTF-8 (U+FFFD marks undecodable bytes; send that character as \\ufffd)",
    );
  }
  const body = req.body ?? "";
  if (body.trim() === "") return refuse("empty_body", "Request body is empty");
  const bytes = Buffer.byteLength(body);
  if (bytes > LIMITS.maxBodyBytes) return bodyTooLarge(bytes);
  const parsed = parseJson(body);
  if (!parsed.ok) {
    return refuse(
      parsed.reason === "syntax" ? "invalid_json" : "validation_failed",
      parsed.message,
    );
  }
  const root = parsed.value;
  if (mode === "structured") {
    if (Array.isArray(root)) {
      return refuse(
        "validation_failed",
        `A structured CloudEvent is one JSON object; send an array as ${CLOUDEVENT_BATCH_MEDIA_TYPE}`,
      );
    }
    return single(checkCloudEvent(root, ""), req, deps);
  }
  if (mode === "batch") {
    if (!Array.isArray(root)) {
      return refuse("validation_failed", "A CloudEvents batch is a JSON array of CloudEvents");
    }
    // JSON batch format §4: an empty batch is valid; it queues nothing.
    if (root.length > LIMITS.maxBatchEvents) return batchTooLarge(root.length);
    return batch(
      root.map((raw, index) => checkCloudEvent(raw, joinPath("", index))),
      req,
      deps,
    );
  }
  if (!isPlainObject(root)) {
    return refuse(
      "validation_failed",
      'Body must be a JSON object: one event, or {"events": [...]}',
    );
  }
  if (!Object.hasOwn(root, "events")) return single(checkEvent(root, ""), req, deps);
  const envelope = checkEnvelope(root);
  if (envelope.kind === "refused") return envelope;
  return batch(
    envelope.events.map((raw, index) => checkEvent(raw, `events[${index}]`)),
    req,
    deps,
  );
}

async function evaluateBinary(req: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const size = req.bodyBytes?.length ?? 0;
  if (size > LIMITS.maxBodyBytes) return bodyTooLarge(size);
  const checked = checkBinaryCloudEvent({
    ceHeaders: req.ceHeaders ?? {},
    contentType: req.contentType,
    body: req.bodyBytes,
  });
  if ("invalidJson" in checked) return refuse("invalid_json", checked.invalidJson);
  return single(checked, req, deps);
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

const bodyTooLarge = (bytes: number) =>
  refuse(
    "payload_too_large",
    `Request body is ${bytes} bytes; the limit is ${LIMITS.maxBodyBytes}`,
  );

const batchTooLarge = (count: number) =>
  refuse(
    "payload_too_large",
    `A batch holds at most ${LIMITS.maxBatchEvents} events; this one has ${count}`,
  );

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
      limitErrors(
        unknown.map((k) => ({
          path: joinPath("", k),
          message: RESERVED_KEYS.has(k) ? "is a reserved key name" : "is not allowed",
        })),
      ),
    );
  }
  const { events } = root;
  if (!Array.isArray(events) || events.length === 0) {
    const message = `must be an array of 1 to ${LIMITS.maxBatchEvents} events`;
    return refuse("validation_failed", `events ${message}`, [{ path: "events", message }]);
  }
  if (events.length > LIMITS.maxBatchEvents) return batchTooLarge(events.length);
  return { kind: "ok", events };
}

/** A valid event before its id is settled (a CloudEvent's is derived already). */
type CheckedEvent = IncomingEvent & { cloudEvent?: CloudEventMeta };

type Checked =
  | { ok: true; event: CheckedEvent }
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
  return { ok: false, tooLarge: false, errors: limitErrors(errors, prefix) };
}

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
