/** Port: the deliveries log (DELIVERIES_TABLE): one record per delivery, its attempts inside. */
import type { DeliveryMessage } from "../domain/delivery.js";
import type { AttemptEntry } from "../domain/delivery-attempt.js";
import type { DeliveryRecord, DeliveryStatus } from "../domain/delivery-record.js";

export type ClaimResult =
  /** This receive may attempt: the record, with the attempts made so far. */
  | { kind: "claimed"; record: DeliveryRecord }
  /** Delivered or failed already (a duplicate message, a replay of a delivered event). */
  | { kind: "done"; record: DeliveryRecord }
  /** Another receive holds it right now (a duplicate copy in flight): try again later. */
  | { kind: "busy"; record: DeliveryRecord; retryInSeconds: number }
  /** A manual retry superseded this message (its generation is older). */
  | { kind: "stale"; record: DeliveryRecord };

export interface AttemptUpdate {
  attempt: AttemptEntry;
  status: DeliveryStatus;
  nextAttemptAt?: string;
  failure?: { reason: string };
}

export interface DeliveryQuery {
  tenantId: string;
  destinationId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface DeliveryPage {
  items: DeliveryRecord[];
  nextCursor?: string;
}

export interface DeliveryLog {
  /**
   * Creates the record on first sight, or takes the lease of a pending one of the same
   * generation for `leaseSeconds` (so two copies of a message never attempt at once).
   */
  claim(message: DeliveryMessage, now: Date, leaseSeconds: number): Promise<ClaimResult>;
  /** Appends the attempt, sets the status, releases the lease. */
  recordAttempt(tenantId: string, id: string, update: AttemptUpdate, now: Date): Promise<void>;
  /** Ends a pending delivery without an attempt (destination deleted or disabled). */
  end(tenantId: string, id: string, reason: string, now: Date): Promise<void>;
  get(tenantId: string, id: string): Promise<DeliveryRecord | undefined>;
  /** The message a delivery was enqueued with (for a manual retry). */
  message(tenantId: string, id: string): Promise<DeliveryMessage | undefined>;
  /** Arms a manual retry: pending again, the next generation; undefined when unknown. */
  rearm(tenantId: string, id: string, now: Date): Promise<number | undefined>;
  list(query: DeliveryQuery): Promise<DeliveryPage>;
}

/**
 * Erasure in the deliveries log: every delivery of these events (any destination) loses its
 * event, subject, message and attempts (which hold the receivers' answers), and stays as a
 * bare tombstone until its TTL: `failed`, reason "erased", so a copy of its message still
 * queued is dropped by the claim instead of creating the record again. Answers how many.
 */
export interface DeliveryEraser {
  eraseEvents(tenantId: string, eventIds: readonly string[], now: Date): Promise<number>;
}
