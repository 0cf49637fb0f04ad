/**
 * Port: a delivery's transport, one per destination kind. A sender never throws for the
 * destination's fault: it answers an AttemptResult (delivered, retryable or final).
 */
import type { DeliveryMessage } from "../domain/delivery.js";
import type { AttemptResult } from "../domain/delivery-attempt.js";
import type { Destination, DestinationKind } from "../domain/destination.js";

export interface DeliverySender {
  send(destination: Destination, message: DeliveryMessage, now: Date): Promise<AttemptResult>;
}

export type DeliverySenders = Record<DestinationKind, DeliverySender>;

/** Where a final failure goes (the delivery DLQ), for operators and alarms. */
export interface DeliveryDeadLetters {
  send(message: DeliveryMessage, reason: string): Promise<void>;
}

/** Makes a received delivery message visible again after a delay (ChangeMessageVisibility). */
export interface DeliveryRetries {
  retryAfter(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

/** The events the platform itself emits to a tenant (routable like any event). */
export interface PlatformEvents {
  emit(
    tenantId: string,
    event: { id: string; type: string; subject?: string; data: Record<string, unknown> },
  ): Promise<void>;
}

/** Checks an address a webhook URL names at creation (DNS): the reason it is refused, if any. */
export interface UrlGuard {
  check(url: string): Promise<string | undefined>;
}
