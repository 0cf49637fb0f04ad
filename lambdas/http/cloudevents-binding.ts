/**
 * The CloudEvents HTTP protocol binding 1.0 (the event format itself is
 * domain/cloudevents.ts): binary mode (attributes in `ce-*` headers, percent-encoded,
 * the body as the data) and the Accept negotiation between JSON and a structured
 * CloudEvent. Structured and batched modes are picked by Content-Type in ingest-request.ts.
 */
import {
  type CheckedCloudEvent,
  CLOUDEVENT_MEDIA_TYPE,
  type CloudEventPayload,
  checkBinaryAttributes,
  extensionNameErrors,
  isJsonMediaType,
  KNOWN_MEMBERS,
  mediaTypeOf,
  percentEncode,
} from "../domain/cloudevents.js";
import { LIMITS } from "../domain/event.js";
import { type FieldError, inspect, isPlainObject, parseJson } from "../domain/json.js";

/** Binary mode: every context attribute is a header named `ce-<attribute>`. */
export const CE_HEADER_PREFIX = "ce-";

const TEXT_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/xml",
  "application/x-www-form-urlencoded",
  "application/javascript",
  "application/yaml",
  "application/x-yaml",
  "application/graphql",
]);

/** Payloads stored as text (when they are valid UTF-8); any other is stored as bytes. */
function isTextMediaType(contentType: string | undefined): boolean {
  const type = mediaTypeOf(contentType);
  if (type.startsWith("text/") || type.endsWith("+xml") || TEXT_MEDIA_TYPES.has(type)) return true;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  return charset === "utf-8" || charset === "utf8" || charset === "us-ascii";
}

/** The request of a CloudEvent in binary mode. */
export interface BinaryModeRequest {
  /** The `ce-*` headers, names lower-cased, values as received. */
  ceHeaders: Record<string, string>;
  contentType: string | undefined;
  /** The body; undefined or empty when the event has no data. */
  body: Uint8Array | undefined;
}

export type BinaryModeResult =
  | CheckedCloudEvent
  /** The body was declared JSON but is not: the request is refused as invalid JSON. */
  | { ok: false; invalidJson: string };

/** HTTP binding §3.1: attributes in `ce-*` headers, the data as the body. */
export function checkBinaryCloudEvent(req: BinaryModeRequest): BinaryModeResult {
  const errors: FieldError[] = [];
  const attributes: Record<string, unknown> = {};
  for (const [header, raw] of Object.entries(req.ceHeaders)) {
    const name = header.slice(CE_HEADER_PREFIX.length);
    if (name === "datacontenttype") {
      errors.push({
        path: header,
        message: "must not be sent in binary mode: Content-Type is the datacontenttype",
      });
      continue;
    }
    if (name === "data" || name === "data_base64") {
      errors.push({ path: header, message: "is not an attribute: the body is the data" });
      continue;
    }
    const nameErrors = KNOWN_MEMBERS.has(name) ? [] : extensionNameErrors(name, header);
    if (nameErrors.length > 0) {
      errors.push(...nameErrors);
      continue;
    }
    const value = decodeHeaderValue(raw);
    if (value === undefined) {
      errors.push({ path: header, message: "is not valid percent-encoded UTF-8" });
      continue;
    }
    attributes[name] = value;
  }
  const bytes = req.body && req.body.length > 0 ? Buffer.from(req.body) : undefined;
  let payload: CloudEventPayload = { encoding: "none" };
  if (bytes) {
    const text = utf8(bytes);
    if (isJsonMediaType(req.contentType)) {
      if (text === undefined) return { ok: false, invalidJson: "Body is not valid UTF-8" };
      const parsed = parseJson(text);
      if (!parsed.ok) {
        if (parsed.reason === "syntax") return { ok: false, invalidJson: parsed.message };
        errors.push({ path: "data", message: parsed.message });
      } else {
        const found = inspect(parsed.value, "data", LIMITS.maxDataDepth);
        errors.push(...found.errors);
        if (found.tooDeep) {
          errors.push({
            path: "data",
            message: `is nested deeper than ${LIMITS.maxDataDepth} levels`,
          });
        }
        payload = isPlainObject(parsed.value)
          ? { encoding: "object", value: parsed.value }
          : { encoding: "json", value: parsed.value };
      }
    } else if (text !== undefined && isTextMediaType(req.contentType)) {
      payload = { encoding: "text", value: text };
    } else {
      payload = { encoding: "base64", value: bytes.toString("base64") };
    }
  }
  return checkBinaryAttributes({
    attributes,
    payload,
    datacontenttype: req.contentType,
    errors,
    pathOf: (attribute) => `${CE_HEADER_PREFIX}${attribute}`,
  });
}

/**
 * HTTP binding §3.1.3.2: unquote a quoted-string, then one round of percent-decoding;
 * byte sequences that are not UTF-8 (overlong forms included) are rejected.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** HTTP binding §3.1.3.2: what a header value must percent-encode. */
export function encodeHeaderValue(value: string): string {
  return Array.from(value, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0x20 && code < 0x7f && char !== '"' && char !== "%" ? char : percentEncode(char);
  }).join("");
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether an Accept header asks for a structured CloudEvent rather than JSON: it names
 * application/cloudevents+json with a quality at least that of application/json (or of
 * the wildcards that cover it). No Accept, or `*\/*` alone, keeps JSON.
 */
export function prefersCloudEvent(accept: string | undefined): boolean {
  if (!accept) return false;
  let ce = 0;
  let json = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";");
    const media = type.trim().toLowerCase();
    const q = params
      .map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1])
      .find((v) => v !== undefined);
    const quality = q === undefined ? 1 : Number(q);
    if (!Number.isFinite(quality)) continue;
    if (media === CLOUDEVENT_MEDIA_TYPE) ce = Math.max(ce, quality);
    else if (media === "application/json" || media === "application/*" || media === "*/*") {
      json = Math.max(json, quality);
    }
  }
  return ce > 0 && ce >= json;
}
