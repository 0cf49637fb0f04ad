/**
 * POST /v1/events as HTTP: which media types are accepted, which CloudEvents HTTP binding
 * mode a request uses, its body (text, bytes, JSON, size), and each event checked against
 * its format (domain/check-event.ts, domain/cloudevents.ts). The result is what the ingest
 * use case takes: a refusal of the whole request, one checked event, or a batch.
 *
 * Modes (HTTP binding §3): Content-Type application/cloudevents+json is one structured
 * CloudEvent, application/cloudevents-batch+json a batch; `ce-*` headers make a binary-mode
 * CloudEvent whose body is the data (any Content-Type); application/json is native: one
 * event, or {"events": [...]}.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { type Checked, checkEvent } from "../domain/check-event.js";
import {
  CLOUDEVENT_BATCH_MEDIA_TYPE,
  CLOUDEVENT_MEDIA_TYPE,
  checkCloudEvent,
  mediaTypeOf,
} from "../domain/cloudevents.js";
import { LIMITS } from "../domain/event.js";
import { isPlainObject, joinPath, limitErrors, parseJson, RESERVED_KEYS } from "../domain/json.js";
import { bodyText, header } from "../shared/http.js";
import { type IngestInput, type Refusal, refuse } from "../use-cases/ingest-events.js";
import { CE_HEADER_PREFIX, checkBinaryCloudEvent } from "./cloudevents-binding.js";

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

/** What decoding needs of a request. */
export interface RawIngestRequest {
  contentType: string | undefined;
  /** The decoded body text; undefined when the request had none. */
  body: string | undefined;
  /** The body arrived base64-encoded and is not UTF-8. */
  undecodable?: boolean;
  /** `ce-*` headers (names lower-cased): a CloudEvent in binary mode. */
  ceHeaders?: Record<string, string>;
  /** The body's bytes: the data of a binary-mode CloudEvent may be any bytes. */
  bodyBytes?: Uint8Array;
}

/** The parts of an API Gateway proxy event that decoding reads. */
export function rawIngestRequest(event: APIGatewayProxyEvent): RawIngestRequest {
  const body = bodyText(event);
  const ceHeaders = ceHeadersOf(event);
  const binaryMode = Object.keys(ceHeaders).length > 0;
  return {
    contentType: header(event, "content-type"),
    body: body.ok ? body.text : undefined,
    undecodable: !body.ok,
    ceHeaders,
    // Only a binary-mode CloudEvent needs the bytes (its data may be any bytes).
    ...(binaryMode ? { bodyBytes: bodyBytesOf(event) } : {}),
  };
}

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

type Mode = "native" | "structured" | "batch" | "binary";

/** HTTP binding §3: Content-Type picks structured or batched mode; ce-* headers binary. */
function modeOf(req: RawIngestRequest): Mode | undefined {
  const type = mediaTypeOf(req.contentType);
  if (type === CLOUDEVENT_MEDIA_TYPE) return "structured";
  if (type === CLOUDEVENT_BATCH_MEDIA_TYPE) return "batch";
  // Other event formats (application/cloudevents+avro, ...) are not supported.
  if (type.startsWith("application/cloudevents")) return undefined;
  if (Object.keys(req.ceHeaders ?? {}).length > 0) return "binary";
  return type === "application/json" ? "native" : undefined;
}

export function decodeIngestRequest(req: RawIngestRequest): IngestInput {
  const mode = modeOf(req);
  if (!mode || (mode !== "binary" && !isAcceptedMediaType(req.contentType))) {
    return refuse(
      "unsupported_media_type",
      `Content-Type must be ${[...ACCEPTED_MEDIA_TYPES].join(", ")} (UTF-8), or a CloudEvent in binary mode (ce-* headers)`,
    );
  }
  if (mode === "binary") return decodeBinary(req);
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
    return { kind: "single", event: checkCloudEvent(root, "") };
  }
  if (mode === "batch") {
    if (!Array.isArray(root)) {
      return refuse("validation_failed", "A CloudEvents batch is a JSON array of CloudEvents");
    }
    // JSON batch format §4: an empty batch is valid; it queues nothing.
    if (root.length > LIMITS.maxBatchEvents) return batchTooLarge(root.length);
    return {
      kind: "batch",
      events: root.map((raw, index) => checkCloudEvent(raw, joinPath("", index))),
    };
  }
  if (!isPlainObject(root)) {
    return refuse(
      "validation_failed",
      'Body must be a JSON object: one event, or {"events": [...]}',
    );
  }
  if (!Object.hasOwn(root, "events")) return { kind: "single", event: checkEvent(root, "") };
  const envelope = checkEnvelope(root);
  if (envelope.kind === "refused") return envelope;
  return {
    kind: "batch",
    events: envelope.events.map((raw, index): Checked => checkEvent(raw, `events[${index}]`)),
  };
}

function decodeBinary(req: RawIngestRequest): IngestInput {
  const size = req.bodyBytes?.length ?? 0;
  if (size > LIMITS.maxBodyBytes) return bodyTooLarge(size);
  const checked = checkBinaryCloudEvent({
    ceHeaders: req.ceHeaders ?? {},
    contentType: req.contentType,
    body: req.bodyBytes,
  });
  if ("invalidJson" in checked) return refuse("invalid_json", checked.invalidJson);
  return { kind: "single", event: checked };
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

function checkEnvelope(root: Record<string, unknown>): { kind: "ok"; events: unknown[] } | Refusal {
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
