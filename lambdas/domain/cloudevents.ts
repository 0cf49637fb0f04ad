/**
 * The CloudEvents 1.0 event format: attributes, their validation (JSON event format, and
 * the string-valued attributes of the HTTP binary mode once decoded), and the mapping
 * onto EventFlow's event both ways. How CloudEvents travel over HTTP (modes, `ce-*`
 * headers, Accept negotiation) is lambdas/http/cloudevents-binding.ts.
 *
 * Mapping (documented in the OpenAPI description too):
 * - `type`, `source`, `subject` and `time` are the native fields of the same names.
 * - The stored id is derived from `source` and `id`, which identify a CloudEvent (spec
 *   §3.1 "id"): `ce:` + base64url(sha256(source + "\n" + id)), 46 characters within
 *   EVENT_ID_PATTERN. The same event sent twice is one stored event; the same id from
 *   two sources is two. A URI-reference holds no "\n", so the input is unambiguous.
 * - The producer's id, `datacontenttype`, `dataschema`, extension attributes and how the
 *   data is held are kept in the stored event's `cloudEvent` (CloudEventMeta, event.ts).
 *   Stored `data` stays a JSON object for every event, so rules, enrichment and storage
 *   treat CloudEvents like native events; other payloads sit in `data.value`.
 *
 * EventFlow limits stricter than the specification: `type` follows EVENT_TYPE_PATTERN
 * (it becomes part of index keys), `source` and `subject` hold at most 1024 characters,
 * extension names at most 20 characters (the spec's SHOULD), extension names starting
 * with "eventflow" are kept for the attributes EventFlow adds when it renders an event.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import {
  type AcceptedEvent,
  CLOUDEVENT_ID_PREFIX,
  type CloudEventMeta,
  EVENT_TYPE_PATTERN,
  LIMITS,
  type StoredEvent,
} from "./event.js";
import {
  type FieldError,
  inspect,
  isPlainObject,
  joinPath,
  limitErrors,
  RESERVED_KEYS,
} from "./json.js";

export const CLOUDEVENTS_SPEC_VERSION = "1.0";
export const CLOUDEVENT_MEDIA_TYPE = "application/cloudevents+json";
export const CLOUDEVENT_BATCH_MEDIA_TYPE = "application/cloudevents-batch+json";

/** Spec §3.1.1 (lowercase a-z, 0-9) with its recommended length as a limit. */
export const EXTENSION_NAME_PATTERN = /^[a-z0-9]{1,20}$/;
/** Extensions EventFlow adds on output; clients cannot send names with this prefix. */
export const EVENTFLOW_EXTENSION_PREFIX = "eventflow";

// RFC 3986: unreserved, sub-delims, ":" "@" "/" "?" and percent-encodings. A relative
// reference may not have ":" in its first segment (it would read as a scheme).
const URI_CHAR = "(?:[A-Za-z0-9._~:/?@!$&'()*+,;=[\\]-]|%[0-9A-Fa-f]{2})";
const FRAGMENT = `(?:#${URI_CHAR}*)?`;
/** RFC 3986 URI-reference: an absolute URI or a relative reference. */
export const URI_REFERENCE_PATTERN = new RegExp(
  `^(?:[A-Za-z][A-Za-z0-9+.-]*:|(?![^/?#]*:))${URI_CHAR}*${FRAGMENT}$`,
);
/** RFC 3986 URI: a scheme is required. */
export const URI_PATTERN = new RegExp(`^[A-Za-z][A-Za-z0-9+.-]*:${URI_CHAR}*${FRAGMENT}$`);
/** RFC 2046 type/subtype, parameters allowed. */
const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+\s*(?:;.*)?$/;

/** The attributes the specification defines, plus the JSON format's data members. */
export const KNOWN_MEMBERS: ReadonlySet<string> = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "data",
  "data_base64",
]);

const extensionValueSchema = z.union([z.string(), z.int32(), z.boolean()], {
  error: "must be a string, an integer (32-bit) or a boolean",
});

/**
 * One CloudEvent in the JSON event format (spec 1.0.2), as accepted on POST /v1/events.
 * `null` stands for an absent attribute (JSON format §2.2), except for `data`, where it
 * is an explicit null payload. Extension names are checked by checkCloudEvent (JSON
 * Schema: `propertyNames`), as zod objects do not constrain unknown keys' names.
 */
export const cloudEventSchema = z
  .object({
    specversion: z.literal(CLOUDEVENTS_SPEC_VERSION, {
      error: (issue) => (issue.input === undefined ? "is required" : 'must be "1.0"'),
    }),
    id: z.string({ error: "is required and must be a string" }).min(1, "must not be empty"),
    source: z
      .string({ error: "is required and must be a string" })
      .min(1, "must not be empty")
      .max(1024, "must be at most 1024 characters")
      .regex(URI_REFERENCE_PATTERN, "must be a URI-reference (RFC 3986)"),
    type: z
      .string({ error: "is required and must be a string" })
      .regex(EVENT_TYPE_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : / -"),
    subject: z.string().min(1, "must not be empty").max(1024).nullish(),
    time: z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time" }).nullish(),
    datacontenttype: z
      .string()
      .regex(MEDIA_TYPE_PATTERN, "must be a media type (RFC 2046)")
      .nullish(),
    dataschema: z.string().regex(URI_PATTERN, "must be an absolute URI (RFC 3986)").nullish(),
    data: z.unknown().optional(),
    data_base64: z.base64("must be base64-encoded").nullish(),
  })
  .catchall(extensionValueSchema.nullable())
  .meta({
    description:
      "A CloudEvent (JSON event format 1.0). Members other than the listed attributes are extension attributes: names of 1-20 lowercase letters and digits, values a string, an integer or a boolean.",
    propertyNames: {
      pattern: `^(?:(?!${EVENTFLOW_EXTENSION_PREFIX})${EXTENSION_NAME_PATTERN.source.slice(1, -1)}|data_base64)$`,
    },
    // The JSON format: data and data_base64 are exclusive (checkCloudEvent refuses both).
    not: { required: ["data", "data_base64"], properties: { data_base64: { type: "string" } } },
  });

export type CloudEventInput = z.input<typeof cloudEventSchema>;

/** A CloudEvent as EventFlow renders it (structured mode, JSON format). */
export interface CloudEventOutput {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  [extension: string]: unknown;
}

/** The stored id of a CloudEvent: source + id identify it (see the file comment). */
export function cloudEventStoredId(source: string, id: string): string {
  const digest = createHash("sha256").update(`${source}\n${id}`).digest("base64url");
  return `${CLOUDEVENT_ID_PREFIX}${digest.slice(0, 43)}`;
}

/** The media type without parameters, lower-cased. */
export const mediaTypeOf = (contentType: string | undefined): string =>
  (contentType?.split(";")[0] ?? "").trim().toLowerCase();

/** JSON format §3.1.1: `*\/json` or `*\/*+json` declares JSON data. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = mediaTypeOf(contentType);
  const subtype = type.split("/")[1] ?? "";
  return subtype === "json" || subtype.endsWith("+json");
}

export type CheckedCloudEvent =
  | { ok: true; event: AcceptedEvent }
  | { ok: false; errors: FieldError[]; tooLarge: boolean };

const fail = (errors: FieldError[], tooLarge = false, at = ""): CheckedCloudEvent => ({
  ok: false,
  errors: limitErrors(errors, at),
  tooLarge,
});

/**
 * One CloudEvent in the JSON format (a structured body, or an element of a batch):
 * size, then structure (reserved keys, numbers, depth), then the attributes.
 * `prefix` is where the event sits in the body: "" or "[3]".
 */
export function checkCloudEvent(raw: unknown, prefix: string): CheckedCloudEvent {
  const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
  if (size > LIMITS.maxEventBytes) {
    const message = `Event is ${size} bytes serialized; the limit is ${LIMITS.maxEventBytes}`;
    return fail([{ path: prefix, message }], true);
  }
  if (!isPlainObject(raw)) return fail([{ path: prefix, message: "must be a JSON object" }]);
  const errors: FieldError[] = [];
  const members: Record<string, unknown> = {};
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
    if (!KNOWN_MEMBERS.has(key)) errors.push(...extensionNameErrors(key, path));
    members[key] = value;
  }
  const hasData = Object.hasOwn(members, "data");
  if (hasData && members.data_base64 !== undefined && members.data_base64 !== null) {
    errors.push({
      path: joinPath(prefix, "data_base64"),
      message: "must not be sent together with data",
    });
  }
  const parsed = cloudEventSchema.safeParse(members);
  errors.push(...issueErrors(parsed.error?.issues ?? [], prefix, errors));
  if (!parsed.success || errors.length > 0) return fail(errors, false, prefix);
  const a = parsed.data;
  const datacontenttype = a.datacontenttype ?? undefined;
  const payload: CloudEventPayload =
    typeof a.data_base64 === "string"
      ? { encoding: "base64", value: a.data_base64 }
      : !hasData
        ? { encoding: "none" }
        : typeof a.data === "string" && datacontenttype && !isJsonMediaType(datacontenttype)
          ? { encoding: "text", value: a.data }
          : isPlainObject(a.data)
            ? { encoding: "object", value: a.data }
            : { encoding: "json", value: a.data };
  const extensions: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(members)) {
    if (!KNOWN_MEMBERS.has(key) && value !== null && value !== undefined) {
      extensions[key] = value as string | number | boolean;
    }
  }
  return {
    ok: true,
    event: toAccepted(
      {
        id: a.id,
        source: a.source,
        type: a.type,
        subject: a.subject ?? undefined,
        time: a.time ?? undefined,
        datacontenttype,
        dataschema: a.dataschema ?? undefined,
        extensions,
      },
      payload,
    ),
  };
}

/**
 * A CloudEvent in the HTTP binary mode, once its `ce-*` headers are decoded into string
 * attributes and its body into a payload (lambdas/http/cloudevents-binding.ts): the same
 * attribute rules as the JSON format. `errors` are those decoding found already; an
 * attribute's error is reported at `pathOf(name)` (its header).
 */
export function checkBinaryAttributes(input: {
  attributes: Record<string, unknown>;
  payload: CloudEventPayload;
  datacontenttype: string | undefined;
  errors: FieldError[];
  pathOf: (attribute: string) => string;
}): CheckedCloudEvent {
  const { attributes, payload, datacontenttype, errors } = input;
  const parsed = headerAttributesSchema.safeParse(attributes);
  const seen = new Set(errors.map((e) => e.path));
  for (const issue of parsed.error?.issues ?? []) {
    const [first] = issue.path;
    const path = first === undefined ? "headers" : input.pathOf(String(first));
    if (!seen.has(path)) errors.push({ path, message: issue.message });
    seen.add(path);
  }
  if (!parsed.success || errors.length > 0) return fail(errors);
  const a = parsed.data;
  const extensions: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!KNOWN_MEMBERS.has(key) && typeof value === "string") extensions[key] = value;
  }
  const event = toAccepted(
    {
      id: a.id,
      source: a.source,
      type: a.type,
      subject: a.subject ?? undefined,
      time: a.time ?? undefined,
      datacontenttype,
      dataschema: a.dataschema ?? undefined,
      extensions,
    },
    payload,
  );
  const size = Buffer.byteLength(JSON.stringify(structuredOf(event)));
  if (size > LIMITS.maxEventBytes) {
    const message = `Event is ${size} bytes serialized as JSON (binary data base64-encoded); the limit is ${LIMITS.maxEventBytes}`;
    return fail([{ path: "", message }], true);
  }
  return { ok: true, event };
}

/** How a CloudEvent holds its data (CloudEventMeta.dataEncoding). */
export type CloudEventPayload =
  | { encoding: "object"; value: Record<string, unknown> }
  | { encoding: "json" | "text" | "base64"; value: unknown }
  | { encoding: "none" };

interface Attributes {
  id: string;
  source: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  datacontenttype: string | undefined;
  dataschema: string | undefined;
  extensions: Record<string, string | number | boolean>;
}

function toAccepted(a: Attributes, payload: CloudEventPayload): AcceptedEvent {
  const meta: CloudEventMeta = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: a.id,
    ...(a.datacontenttype ? { datacontenttype: a.datacontenttype } : {}),
    ...(a.dataschema ? { dataschema: a.dataschema } : {}),
    ...(Object.keys(a.extensions).length > 0 ? { extensions: a.extensions } : {}),
    dataEncoding: payload.encoding,
  };
  const data =
    payload.encoding === "object"
      ? payload.value
      : payload.encoding === "none"
        ? {}
        : { value: payload.value };
  return {
    id: cloudEventStoredId(a.source, a.id),
    type: a.type,
    source: a.source,
    ...(a.subject ? { subject: a.subject } : {}),
    ...(a.time ? { time: a.time } : {}),
    data,
    cloudEvent: meta,
  };
}

/** Binary mode: the same attribute rules as the JSON format, every value a string. */
const headerAttributesSchema = z
  .object({
    specversion: cloudEventSchema.shape.specversion,
    id: cloudEventSchema.shape.id,
    source: cloudEventSchema.shape.source,
    type: cloudEventSchema.shape.type,
    subject: cloudEventSchema.shape.subject,
    time: cloudEventSchema.shape.time,
    dataschema: cloudEventSchema.shape.dataschema,
  })
  .catchall(z.string());

export function extensionNameErrors(name: string, path: string): FieldError[] {
  if (!EXTENSION_NAME_PATTERN.test(name)) {
    return [
      {
        path,
        message:
          "is not a valid extension attribute name: 1-20 characters of lowercase a-z and 0-9",
      },
    ];
  }
  if (name.startsWith(EVENTFLOW_EXTENSION_PREFIX)) {
    return [{ path, message: `is kept for EventFlow (names starting with "eventflow")` }];
  }
  return [];
}

/** zod issues as field errors under `prefix`, skipping paths already reported. */
function issueErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: string,
  already: readonly FieldError[],
): FieldError[] {
  const seen = new Set(already.map((e) => e.path));
  const out: FieldError[] = [];
  for (const issue of issues) {
    const path = issue.path.reduce<string>(
      (p, s) => joinPath(p, typeof s === "number" ? s : String(s)),
      prefix,
    );
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: issue.message });
  }
  return out;
}

/** UTF-8 bytes as %XY (a lone surrogate becomes U+FFFD). */
export const percentEncode = (char: string): string =>
  Array.from(
    Buffer.from(char, "utf8"),
    (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");

/** Default source of a native event rendered as a CloudEvent without one. */
export const nativeSource = (tenantId: string) => `/eventflow/${tenantId}`;

/**
 * A stored event as a CloudEvent (structured mode). CloudEvents come back as they were
 * sent; native events get `source` (theirs if it is a URI-reference, percent-encoded if
 * not, `/eventflow/<tenant>` when absent) and datacontenttype application/json. Every
 * event carries `eventflowid` (the stored id) and `eventflowstatus` (processed | failed).
 */
export function toCloudEvent(event: StoredEvent): CloudEventOutput {
  return { ...structuredOf(event), eventflowid: event.id, eventflowstatus: event.status };
}

/** The JSON format of an event, without EventFlow's extensions. */
function structuredOf(event: AcceptedEvent & { tenantId?: string }): CloudEventOutput {
  const ce = event.cloudEvent;
  const out: CloudEventOutput = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: ce ? ce.id : event.id,
    source: ce && event.source ? event.source : toUriReference(event.source, event.tenantId ?? ""),
    type: event.type,
  };
  if (event.subject) out.subject = event.subject;
  if (event.time) out.time = event.time;
  const contentType = ce ? ce.datacontenttype : "application/json";
  if (contentType) out.datacontenttype = contentType;
  if (ce?.dataschema) out.dataschema = ce.dataschema;
  for (const [name, value] of Object.entries(ce?.extensions ?? {})) out[name] = value;
  switch (ce?.dataEncoding ?? "object") {
    case "object":
      out.data = event.data;
      break;
    case "json":
    case "text":
      out.data = event.data.value;
      break;
    case "base64":
      out.data_base64 = String(event.data.value ?? "");
      break;
    case "none":
      break;
  }
  return out;
}

function toUriReference(source: string | undefined, tenantId: string): string {
  if (source === undefined) return nativeSource(tenantId);
  if (URI_REFERENCE_PATTERN.test(source)) return source;
  const encoded = Array.from(source, (char) =>
    /^[A-Za-z0-9._~:/?@!$&'()*+,;=-]$/.test(char) ? char : percentEncode(char),
  ).join("");
  if (URI_REFERENCE_PATTERN.test(encoded)) return encoded;
  // A ":" in the first segment that does not end a scheme: encode it too.
  return encoded.replaceAll(":", "%3A");
}
