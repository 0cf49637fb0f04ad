/**
 * The compact event item (issue 20, cost): the fields nothing filters or projects on (data
 * and the event's descriptive fields) are stored together as ONE binary attribute `body`,
 * deflated JSON, so a 1 KiB event fits DynamoDB's 1 KiB write unit (1 WRU instead of 2:
 * $0.625 per million events less). Keys, index keys, projected and filtered attributes
 * (type, status, receivedAt, failure, failedAt...), the digest and the replay fields stay
 * plain attributes.
 *
 * THE one place items are decoded: every reader of event items (query, replay and the
 * failed list through dynamodb-event-reader.ts, the writer's duplicate check, and any
 * later reader such as the archive) turns an item into a stored event with
 * `eventFromItem`, which also reads items written before packing (plain attributes).
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { StoredEvent } from "../domain/event.js";

/** The binary attribute holding the packed fields. */
export const BODY_ATTRIBUTE = "body";

/**
 * Fields packed into `body`, by position (none is a key, projected, or used in a filter or
 * condition). Append only: a position never changes meaning.
 */
export const PACKED_FIELDS = [
  "data",
  "source",
  "subject",
  "time",
  "correlationId",
  "enrichment",
  "processedAt",
  "latencyMs",
  "cloudEvent",
] as const satisfies readonly (keyof StoredEvent)[];

/** First byte of `body`: how the rest is encoded (1 = deflate-raw of a UTF-8 JSON array). */
const CODEC_DEFLATE_JSON = 1;
/** Events are at most 64 KiB; a body never inflates past this. */
const MAX_BODY_BYTES = 256 * 1024;

export class CorruptEventItemError extends Error {
  override name = "CorruptEventItemError";
}

/** The event's attributes for the item: packed fields moved into `body`. */
export function packEvent(event: StoredEvent): Record<string, unknown> {
  const plain: Record<string, unknown> = { ...event };
  const packed: unknown[] = PACKED_FIELDS.map((field) => plain[field] ?? null);
  for (const field of PACKED_FIELDS) delete plain[field];
  // Carried by the key (eventKey): T#<tenant>#E#<id>.
  delete plain.id;
  delete plain.tenantId;
  while (packed.length > 0 && packed[packed.length - 1] === null) packed.pop();
  const json = Buffer.from(JSON.stringify(packed), "utf8");
  const body = Buffer.concat([Buffer.of(CODEC_DEFLATE_JSON), deflateRawSync(json)]);
  return { ...plain, [BODY_ATTRIBUTE]: new Uint8Array(body) };
}

/**
 * An item's attributes with `body` unpacked into its fields (an item without `body`, written
 * before packing, is returned as it is). Throws CorruptEventItemError on an unreadable body.
 */
export function unpackItem(item: Record<string, unknown>): Record<string, unknown> {
  const body = item[BODY_ATTRIBUTE];
  if (body === undefined) return item;
  const key = KEY_PATTERN.exec(String(item.pk));
  if (!key) throw new CorruptEventItemError("event item key is not an event key");
  if (!(body instanceof Uint8Array) || body.length < 1 || body[0] !== CODEC_DEFLATE_JSON) {
    throw new CorruptEventItemError("event item body has an unknown encoding");
  }
  let fields: unknown;
  try {
    const json = inflateRawSync(body.subarray(1), { maxOutputLength: MAX_BODY_BYTES });
    fields = JSON.parse(json.toString("utf8"));
  } catch {
    throw new CorruptEventItemError("event item body cannot be decoded");
  }
  if (!Array.isArray(fields)) throw new CorruptEventItemError("event item body is not a list");
  const { [BODY_ATTRIBUTE]: _body, ...rest } = item;
  const out: Record<string, unknown> = { ...rest, tenantId: key[1], id: key[2] };
  PACKED_FIELDS.forEach((field, i) => {
    const value: unknown = fields[i];
    if (value !== null && value !== undefined) out[field] = value;
  });
  return out;
}

/** eventKey's pk (dynamodb-keys.ts): neither tenant nor id contains `#`. */
const KEY_PATTERN = /^T#([^#]+)#E#([^#]+)$/;

/** The attributes a client sees; keys, GSI keys, TTL and digest stay inside. */
export const STORED_EVENT_FIELDS = [
  "id",
  "tenantId",
  "type",
  "source",
  "subject",
  "time",
  "data",
  "status",
  "receivedAt",
  "correlationId",
  "attempts",
  "processedAt",
  "latencyMs",
  "enrichment",
  "cloudEvent",
  "failedAt",
  "failure",
  "history",
  "replayId",
  "schemaVersion",
  "rulesetVersion",
  "routes",
  "ruleErrors",
] as const satisfies readonly (keyof StoredEvent)[];
// Fails to compile when StoredEvent gains a field that is not listed above.
type Unlisted = Exclude<keyof StoredEvent, (typeof STORED_EVENT_FIELDS)[number]>;
const allListed: [Unlisted] extends [never] ? true : false = true;
void allListed;

/** A stored event from an event item, packed or not: the decode every reader uses. */
export function eventFromItem(item: Record<string, unknown>): StoredEvent {
  const full = unpackItem(item);
  const out: Record<string, unknown> = {};
  for (const field of STORED_EVENT_FIELDS) {
    if (full[field] !== undefined) out[field] = full[field];
  }
  return out as unknown as StoredEvent;
}
