/**
 * Processing one event: the tenant's rules (domain/rules.ts: reject, enrich, route), one
 * conditional write, then the route actions' deliveries. A reject is a verdict, not an
 * error: the event is stored as `failed` at once and the message is done. Storage and
 * enqueue errors propagate (the caller classifies and retries them).
 *
 * Deliveries are handed over only after the conditional write succeeded, so a duplicate
 * event never delivers twice. If the enqueue fails after the write, the message comes back
 * and finds its own record: a redelivery (receive count > 1) of the same content enqueues
 * again, under the same delivery ids (stable per event and destination), which the
 * delivery engine runs once.
 */

import { type DeliveryRequest, deliveryId } from "../domain/delivery.js";
import { enrich, failedEvent, failedSchemaViolation, type RulesResult } from "../domain/enrich.js";
import type { QueuedEvent, StoredEvent } from "../domain/event.js";
import { applyRules, type RouteDecision } from "../domain/rules.js";
import type { DeliveryQueue } from "../ports/delivery-queue.js";
import type { EventWriter } from "../ports/event-store.js";
import { type ProcessOutcome, store } from "./store-event.js";
import { defaultCompiledRuleset, type RulesProvider, ruleInputOf } from "./tenant-rules.js";

// Storing one record (also the dlq function's path, which runs no rules): store-event.ts.
export { type ProcessOutcome, recordMalformed, store } from "./store-event.js";

export interface ProcessEventDeps {
  writer: EventWriter;
  now: () => Date;
  /** The tenant's rules; without, the built-in defaults (tests, tools). */
  rules?: RulesProvider;
  /** Where route actions' deliveries go; without, routes are only recorded on the event. */
  deliveries?: DeliveryQueue;
}

/** Some deliveries could not be queued: the message is retried (transient). */
export class DeliveryEnqueueError extends Error {
  override name = "DeliveryEnqueueError";
}

export async function processEvent(
  message: QueuedEvent,
  attempts: number,
  deps: ProcessEventDeps,
): Promise<ProcessOutcome> {
  // Quarantined at ingest (schema-gate.ts): stored failed with its errors, no rules run.
  const quarantined = failedSchemaViolation(message, { at: deps.now(), attempts });
  if (quarantined) return store(quarantined, deps.writer, message.replay);
  const ruleset = deps.rules
    ? await deps.rules.forTenant(message.tenantId)
    : defaultCompiledRuleset();
  const outcome = await applyRules(
    ruleset,
    ruleInputOf({ ...message.event, receivedAt: message.receivedAt }),
  );
  const at = deps.now();
  const rules: RulesResult = {
    rulesetVersion: outcome.version,
    enrichment: outcome.enrichment,
    routes: outcome.routes.map((r) => ({
      rule: r.rule,
      destinationId: r.destinationId,
      deliveryId: deliveryId(message.tenantId, message.event.id, r.destinationId),
    })),
    errors: outcome.errors,
  };
  const record = outcome.rejected
    ? failedEvent(message, {
        at,
        attempts,
        kind: "business_rule",
        reason: outcome.rejected.message,
        rules,
      })
    : enrich(message, { at, attempts }, rules);
  const stored = await store(record, deps.writer, message.replay);
  const deliverNow =
    stored.kind === "processed" ||
    (stored.kind === "duplicate" &&
      !stored.conflict &&
      stored.existingStatus === "processed" &&
      attempts > 1);
  if (deliverNow && !outcome.rejected && outcome.routes.length > 0 && deps.deliveries) {
    await enqueueRoutes(deps.deliveries, record, outcome.routes);
  }
  return stored;
}

async function enqueueRoutes(
  queue: DeliveryQueue,
  record: StoredEvent,
  routes: RouteDecision[],
): Promise<void> {
  const event = {
    id: record.id,
    type: record.type,
    ...(record.source !== undefined ? { source: record.source } : {}),
    ...(record.subject !== undefined ? { subject: record.subject } : {}),
    ...(record.time !== undefined ? { time: record.time } : {}),
    receivedAt: record.receivedAt,
    data: record.data,
    ...(record.enrichment ? { enrichment: record.enrichment } : {}),
  };
  const requests: DeliveryRequest[] = routes.map((r) => ({
    tenantId: record.tenantId,
    destinationId: r.destinationId,
    event,
    ...(r.payload !== undefined ? { payload: r.payload } : {}),
    correlationId: record.correlationId,
    origin: { kind: "rule", name: r.rule },
  }));
  const results = await queue.enqueue(requests);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    throw new DeliveryEnqueueError(
      `${failed.length} of ${results.length} deliveries could not be queued: ${failed[0] && !failed[0].ok ? failed[0].reason : ""}`,
    );
  }
}
