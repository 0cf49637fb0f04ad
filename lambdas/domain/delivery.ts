/**
 * A delivery: one event (or its transformed payload) on its way to one destination. Its id
 * is a stable hash of (tenant, event id, destination id): the same event routed twice to
 * the same destination is the same delivery, so a redelivered event or a replay never
 * makes a second one, and the id is the `webhook-id` receivers deduplicate on.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { EVENT_ID_PATTERN, TENANT_ID_PATTERN } from "./event.js";

/** Destination ids: `dst_` + 26 characters of base32 (lambdas/domain/destination.ts). */
export const DESTINATION_ID_PATTERN = /^dst_[a-z0-9]{26}$/;
/** Delivery ids: `dlv_` + 32 characters of base64url (24 bytes of sha-256). */
export const DELIVERY_ID_PATTERN = /^dlv_[A-Za-z0-9_-]{32}$/;

export function deliveryId(tenantId: string, eventId: string, destinationId: string): string {
  const hash = createHash("sha256")
    .update(`${tenantId}\n${eventId}\n${destinationId}`)
    .digest()
    .subarray(0, 24)
    .toString("base64url");
  return `dlv_${hash}`;
}

/** The event as the API returns it (GET /v1/events/{id}); kept loose: only these are read. */
export const deliveredEventSchema = z
  .object({
    id: z.string().regex(EVENT_ID_PATTERN),
    type: z.string().min(1),
    source: z.string().optional(),
    subject: z.string().optional(),
    time: z.string().optional(),
    receivedAt: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .loose();

export type DeliveredEvent = z.output<typeof deliveredEventSchema>;

/**
 * What a caller hands the delivery queue (DeliveryQueue.enqueue). The id is computed from
 * tenant, event and destination; `payload` replaces the default body (a rule's JSONata
 * transformation); `generation` is set by a manual retry (POST /v1/deliveries/{id}/retry)
 * so a delivery that already ended may run again.
 */
/** The fields of an event a delivery reads (a StoredEvent has them all). */
export interface DeliverableEvent {
  id: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

export interface DeliveryRequest {
  tenantId: string;
  destinationId: string;
  /** The event as the API returns it (GET /v1/events/{id}): a StoredEvent. */
  event: DeliverableEvent;
  payload?: unknown;
  /** Ordered destinations only: deliveries of one subject run one at a time, in order. */
  ordered?: boolean;
  correlationId?: string;
  /** Why it was enqueued: a rule (its name), a replay, a manual retry. */
  origin?: DeliveryOrigin;
  generation?: number;
}

export const deliveryOriginSchema = z
  .object({
    kind: z.enum(["rule", "replay", "retry", "direct"]),
    name: z.string().max(256).optional(),
  })
  .strict();
export type DeliveryOrigin = z.output<typeof deliveryOriginSchema>;

/** The delivery queue's message body, versioned like the events queue's. */
export const deliveryMessageSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(DELIVERY_ID_PATTERN),
  tenantId: z.string().regex(TENANT_ID_PATTERN),
  destinationId: z.string().regex(DESTINATION_ID_PATTERN),
  event: deliveredEventSchema,
  payload: z.unknown().optional(),
  orderingKey: z.string().optional(),
  correlationId: z.string().max(256).optional(),
  origin: deliveryOriginSchema.optional(),
  generation: z.number().int().min(1),
  enqueuedAt: z.iso.datetime(),
});

export type DeliveryMessage = z.output<typeof deliveryMessageSchema>;

/** Events without a subject have no ordering key: each is its own group (no wait). */
export function orderingKeyOf(event: Pick<DeliverableEvent, "subject" | "id">): string {
  return event.subject !== undefined ? `s:${event.subject}` : `e:${event.id}`;
}

export function toDeliveryMessage(request: DeliveryRequest, now: Date): DeliveryMessage {
  return {
    v: 1,
    id: deliveryId(request.tenantId, request.event.id, request.destinationId),
    tenantId: request.tenantId,
    destinationId: request.destinationId,
    event: request.event as DeliveredEvent,
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
    ...(request.ordered ? { orderingKey: orderingKeyOf(request.event) } : {}),
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
    ...(request.origin ? { origin: request.origin } : {}),
    generation: request.generation ?? 1,
    enqueuedAt: now.toISOString(),
  };
}

/**
 * The FIFO message group of an ordered delivery: one group per (tenant, destination,
 * subject), so SQS keeps one of them in flight at a time; at most 128 characters (an SQS
 * limit), hashed when longer.
 */
export function messageGroupOf(
  message: Pick<DeliveryMessage, "tenantId" | "destinationId" | "orderingKey" | "id">,
): string {
  const key = `${message.tenantId}/${message.destinationId}/${message.orderingKey ?? message.id}`;
  if (key.length <= 128 && /^[\x21-\x7e]+$/.test(key)) return key;
  return `${message.destinationId}/${createHash("sha256").update(key).digest("base64url")}`;
}

/** A delivery's body: the rule's transformed payload, or the event in Standard Webhooks' envelope. */
export function deliveryBody(message: DeliveryMessage): unknown {
  if (message.payload !== undefined) return message.payload;
  return {
    type: message.event.type,
    timestamp: message.event.time ?? message.event.receivedAt,
    data: message.event,
  };
}
