/** A delivery as the log keeps it and the API shows it (GET /v1/deliveries). */

import type { DeliveryOrigin } from "./delivery.js";
import type { AttemptEntry } from "./delivery-attempt.js";

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The log keeps the latest attempts of a delivery (each with at most 1 KiB of answer). */
export const MAX_LOGGED_ATTEMPTS = 25;

export interface DeliveryRecord {
  id: string;
  tenantId: string;
  destinationId: string;
  eventId: string;
  eventType: string;
  subject?: string;
  status: DeliveryStatus;
  createdAt: string;
  updatedAt: string;
  /** Attempts made in all (the log keeps the last MAX_LOGGED_ATTEMPTS). */
  attemptCount: number;
  attempts: AttemptEntry[];
  nextAttemptAt?: string;
  deliveredAt?: string;
  failedAt?: string;
  failure?: { reason: string };
  /** Bumped by a manual retry: a message of an older generation is stale. */
  generation: number;
  origin?: DeliveryOrigin;
}
