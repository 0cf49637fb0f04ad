/**
 * Port: hands deliveries to the delivery engine. The process function calls it after an
 * event's conditional write succeeded (a rule's `route` action); replays and manual retries
 * call it too. Deliveries are idempotent by id (lambdas/domain/delivery.ts): enqueueing the
 * same (event, destination) twice still delivers once, so a caller that is unsure whether
 * an earlier enqueue went through may simply enqueue again.
 */
import type { DeliveryRequest } from "../domain/delivery.js";

export type DeliveryEnqueueResult =
  | { id: string; ok: true }
  | { id: string; ok: false; reason: string };

export interface DeliveryQueue {
  /**
   * Queues each delivery (unordered ones on the standard queue, ordered ones on the FIFO
   * queue under their subject's group) and answers per request, in order. It does not
   * throw for a delivery SQS refused: the caller decides (the process function retries
   * the event's message, which enqueues again under the same ids).
   */
  enqueue(deliveries: readonly DeliveryRequest[]): Promise<DeliveryEnqueueResult[]>;
}
