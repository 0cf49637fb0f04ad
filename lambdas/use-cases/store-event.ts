/**
 * Storing one event record with its conditional write, apart from process-event.ts so that
 * the dlq function (which stores failed and malformed records and runs no rules) does not
 * bundle the rules engine (jsonata, re2js).
 */
import { failedMalformed } from "../domain/enrich.js";
import type { EventStatus, ReplayMarker, StoredEvent } from "../domain/event.js";
import type { SalvagedEvent } from "../domain/message.js";
import type { EventWriter } from "../ports/event-store.js";

export type ProcessOutcome =
  | { kind: "processed"; record: StoredEvent }
  | { kind: "failed"; record: StoredEvent }
  /** The id was already stored; `conflict` when the stored content differs (first one kept). */
  | { kind: "duplicate"; record: StoredEvent; conflict: boolean; existingStatus: EventStatus };

/** A malformed message that still names its tenant and id: stored as failed, not retried. */
export function recordMalformed(
  salvaged: SalvagedEvent,
  reason: string,
  attempts: number,
  fallbackCorrelationId: string,
  deps: { writer: EventWriter; now: () => Date },
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
