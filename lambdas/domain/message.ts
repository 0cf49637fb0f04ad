/**
 * Reading a queue message body. A body that is not a valid QueuedEvent can never
 * succeed (the same bytes fail the same way on every receive), so it is permanent.
 *
 * What happens to it depends on whether it still names a tenant and an event id we can
 * key it by (both match their patterns): then it is salvaged and stored as a `failed`
 * event (kind "malformed"), visible in the tenant's failed list like any other failure.
 * This is the case of a producer/consumer version skew (a `v: 2` body reaching an old
 * consumer): the event keeps its data and can be replayed once the consumer is upgraded.
 * Without a trustworthy tenant the message cannot be stored anywhere without risking
 * showing it to the wrong tenant, so the caller keeps it in SQS (see the handlers).
 */
import * as z from "zod";
import {
  EVENT_ID_PATTERN,
  EVENT_TYPE_PATTERN,
  type QueuedEvent,
  queuedEventSchema,
  TENANT_ID_PATTERN,
} from "./event.js";

/** Type recorded for a salvaged event whose own type is missing or invalid. */
export const MALFORMED_TYPE = "_malformed";

/** What could be read from a malformed body: enough to store it as a failed event. */
export interface SalvagedEvent {
  tenantId: string;
  id: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string;
  data: Record<string, unknown>;
  receivedAt?: string;
  correlationId?: string;
}

export type ParsedMessage =
  | { ok: true; message: QueuedEvent }
  | { ok: false; reason: string; salvaged?: SalvagedEvent };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const optionalText = (value: unknown, max: number): string | undefined =>
  typeof value === "string" && value.length > 0 && value.length <= max ? value : undefined;

const isoDateTime = z.iso.datetime();

export function parseQueuedMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  const parsed = queuedEventSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const reason = parsed.error.issues
    .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
    .join("; ")
    .slice(0, 1000);
  const salvaged = salvage(json);
  return salvaged ? { ok: false, reason, salvaged } : { ok: false, reason };
}

function salvage(json: unknown): SalvagedEvent | undefined {
  if (!isPlainObject(json) || !isPlainObject(json.event)) return undefined;
  const { tenantId, receivedAt, correlationId } = json;
  const event = json.event;
  if (typeof tenantId !== "string" || !TENANT_ID_PATTERN.test(tenantId)) return undefined;
  if (typeof event.id !== "string" || !EVENT_ID_PATTERN.test(event.id)) return undefined;
  const type =
    typeof event.type === "string" && EVENT_TYPE_PATTERN.test(event.type)
      ? event.type
      : MALFORMED_TYPE;
  const data = isPlainObject(event.data)
    ? event.data
    : event.data === undefined
      ? {}
      : { value: event.data };
  return {
    tenantId,
    id: event.id,
    type,
    source: optionalText(event.source, 1024),
    subject: optionalText(event.subject, 1024),
    time: optionalText(event.time, 64),
    data,
    receivedAt: isoDateTime.safeParse(receivedAt).success ? (receivedAt as string) : undefined,
    correlationId: optionalText(correlationId, 256),
  };
}

/** For logs: the start of a body, never the whole of a 256 KB message. */
export const truncateBody = (body: string, max = 2048): string =>
  body.length > max ? `${body.slice(0, max)}…(${body.length} chars)` : body;
