/**
 * Replaying failed events, the pure part: which failed records a filter selects, the
 * queue message a replay sends, and the record a replayed event's new outcome becomes.
 *
 * A replay re-enqueues the failed event under its ORIGINAL id, tenant, receivedAt and
 * correlation id, with a `replay` marker. The replay function first arms the failed
 * record with that marker's request id (a one-time token, with a `replayed` history
 * entry); the consumer replaces the record only while it is still failed AND armed with
 * the same token, and the replacement drops the token. So a replay message delivered
 * twice, a superseded replay, or a replay of an event that succeeded meanwhile all end
 * as duplicates, never as a second outcome.
 */

import { parseDurationMs } from "./duration.js";
import {
  type AcceptedEvent,
  type FailureKind,
  type HistoryEntry,
  type QueuedEvent,
  queuedEventSchema,
  type ReplayMarker,
  type StoredEvent,
} from "./event.js";

export const FAILURE_KINDS: readonly FailureKind[] = [
  "business_rule",
  "dead_letter",
  "malformed",
  "schema_violation",
];

/** Entries kept in a record's history: the first (the original failure) and the latest. */
export const MAX_HISTORY_ENTRIES = 50;

/** What selects failed events; every given criterion must hold. */
export interface FailedFilter {
  type?: string;
  kind?: FailureKind;
  /** Substring of failure.reason, case-sensitive. */
  reason?: string;
  /** failedAt bounds, inclusive, ISO UTC. */
  from?: string;
  to?: string;
}

export function matchesFilter(event: StoredEvent, filter: FailedFilter): boolean {
  if (event.status !== "failed") return false;
  if (filter.type !== undefined && event.type !== filter.type) return false;
  if (filter.kind !== undefined && event.failure?.kind !== filter.kind) return false;
  if (filter.reason !== undefined && !(event.failure?.reason ?? "").includes(filter.reason)) {
    return false;
  }
  const failedAt = event.failedAt ?? "";
  if (filter.from !== undefined && failedAt < filter.from) return false;
  if (filter.to !== undefined && failedAt > filter.to) return false;
  return true;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time (with an offset), or a duration back from `now` (`90s`, `15m`,
 * `1h`, `7d`, `2w`), as ISO UTC with milliseconds (the stored timestamps' form);
 * undefined when it is neither, or when its UTC year leaves 0000-9999: the result is
 * compared as a string with stored keys, and "+010000-..." would sort before "2026-...".
 */
export function parseInstant(value: string, now: Date): string | undefined {
  const ms = parseDurationMs(value);
  if (ms !== undefined) return fourDigitYear(new Date(now.getTime() - ms).toISOString());
  if (!RFC3339.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? fourDigitYear(new Date(at).toISOString()) : undefined;
}

const fourDigitYear = (iso: string) => (/^\d{4}-/.test(iso) ? iso : undefined);

export const INSTANT_HINT =
  "must be an RFC 3339 date-time (2026-01-31T12:00:00Z) or a duration ago (30m, 1h, 7d)";

/**
 * The fields of a queued event, from the queue schema itself: a field added there (as the
 * CloudEvents metadata was) is replayed too, so the replay's digest matches the record's.
 */
const EVENT_FIELDS: readonly string[] = Object.keys(queuedEventSchema.shape.event.shape);

/** The event as it was accepted, from its stored record. */
export function originalEvent(event: StoredEvent): AcceptedEvent {
  const source = event as unknown as Record<string, unknown>;
  return Object.fromEntries(
    EVENT_FIELDS.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]),
  ) as AcceptedEvent;
}

/** The message that replays a failed record: the original event, as it was accepted. */
export function replayMessage(event: StoredEvent, marker: ReplayMarker): QueuedEvent {
  return {
    v: 1,
    tenantId: event.tenantId,
    receivedAt: event.receivedAt,
    correlationId: event.correlationId,
    event: originalEvent(event),
    replay: marker,
  };
}

/** The history entry a replay adds; its detail names the request, so it is added once. */
export const replayedEntry = (marker: ReplayMarker): HistoryEntry => ({
  at: marker.at,
  action: "replayed",
  detail: `replay request ${marker.requestId}`,
});

/** What the consumer read from the failed record it replaces. */
export interface FailedState {
  attempts: number;
  history: HistoryEntry[];
}

/**
 * The record that replaces a failed one after its replay was processed: the new outcome
 * (processed, or failed again) with the receives of every try added up and the history
 * continued (`replayed`, then `processed` or `failed`).
 */
export function replayOutcome(
  previous: FailedState,
  outcome: StoredEvent,
  marker: ReplayMarker,
): StoredEvent {
  const history = [...previous.history];
  const entry = replayedEntry(marker);
  if (!history.some((h) => h.action === "replayed" && h.detail === entry.detail)) {
    history.push(entry);
  }
  if (outcome.status === "processed") {
    history.push({ at: outcome.processedAt ?? marker.at, action: "processed" });
  } else {
    history.push(...(outcome.history ?? []));
  }
  return {
    ...outcome,
    attempts: previous.attempts + outcome.attempts,
    history: capHistory(history),
  };
}

export function capHistory(history: HistoryEntry[]): HistoryEntry[] {
  if (history.length <= MAX_HISTORY_ENTRIES) return history;
  return [...history.slice(0, 1), ...history.slice(-(MAX_HISTORY_ENTRIES - 1))];
}
