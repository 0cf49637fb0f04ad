/**
 * Processing one event: business rules, enrichment, one conditional write. A rule
 * violation is a verdict, not an error: the event is stored as `failed` at once and the
 * message is done. Storage errors propagate (the caller classifies and retries them).
 */

import { enrich, failedEvent, failedMalformed, failedSchemaViolation } from "../domain/enrich.js";
import type { EventStatus, QueuedEvent, ReplayMarker, StoredEvent } from "../domain/event.js";
import type { SalvagedEvent } from "../domain/message.js";
import { checkBusinessRules } from "../domain/rules.js";
import type { EventWriter } from "../ports/event-store.js";

export type ProcessOutcome =
  | { kind: "processed"; record: StoredEvent }
  | { kind: "failed"; record: StoredEvent }
  /** The id was already stored; `conflict` when the stored content differs (first one kept). */
  | { kind: "duplicate"; record: StoredEvent; conflict: boolean; existingStatus: EventStatus };

export interface ProcessEventDeps {
  writer: EventWriter;
  now: () => Date;
}

export async function processEvent(
  message: QueuedEvent,
  attempts: number,
  deps: ProcessEventDeps,
): Promise<ProcessOutcome> {
  const at = deps.now();
  // Quarantined at ingest (schema-gate.ts): stored failed with its errors, no rules run.
  const quarantined = failedSchemaViolation(message, { at, attempts });
  if (quarantined) return store(quarantined, deps.writer, message.replay);
  const verdict = checkBusinessRules(message.event);
  const record = verdict.ok
    ? enrich(message, { at, attempts })
    : failedEvent(message, { at, attempts, kind: "business_rule", reason: verdict.reason });
  return store(record, deps.writer, message.replay);
}

/** A malformed message that still names its tenant and id: stored as failed, not retried. */
export function recordMalformed(
  salvaged: SalvagedEvent,
  reason: string,
  attempts: number,
  fallbackCorrelationId: string,
  deps: Pick<ProcessEventDeps, "writer" | "now">,
): Promise<ProcessOutcome> {
  const record = failedMalformed(
    salvaged,
    { at: deps.now(), attempts, reason: `malformed message: ${reason}` },
    fallbackCorrelationId,
  );
  return store(record, deps.writer);
}

/** A replay's outcome replaces the failed record it replays; anything else is a first write. */
export async function store(
  record: StoredEvent,
  writer: EventWriter,
  replay?: ReplayMarker,
): Promise<ProcessOutcome> {
  const put = replay
    ? await writer.replaceFailed(record, replay)
    : await writer.putIfAbsent(record);
  if (put.kind === "duplicate") {
    return { kind: "duplicate", record, conflict: !put.same, existingStatus: put.existingStatus };
  }
  return record.status === "processed" ? { kind: "processed", record } : { kind: "failed", record };
}
